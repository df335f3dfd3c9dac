import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import mongoose from 'mongoose';
import { z } from 'zod';

const FILE = 'store-address.json';

const announcement = z.object({ url: z.string().regex(/^mongodb:\/\//), pid: z.number().int().positive() });

/**
 * Tells tools run beside the server (`npm run seed`) where its embedded store listens: the running
 * store holds the data under DATA_DIR, so they cannot start one of their own there. Owner-only, as
 * the jwt-secret beside it. The returned function removes the file (at shutdown).
 */
export async function announceStore(dataDir: string, databaseUrl: string): Promise<() => Promise<void>> {
  await mkdir(dataDir, { recursive: true });
  const file = path.join(dataDir, FILE);
  const partial = `${file}.${process.pid}.partial`;
  await writeFile(partial, JSON.stringify({ url: databaseUrl, pid: process.pid }), { mode: 0o600 });
  await rename(partial, file);
  return () => rm(file, { force: true });
}

/**
 * The database URL a server running on `dataDir` announced, when that server still runs and its
 * store answers; a file left by a server that was killed is ignored.
 */
export async function announcedStore(dataDir: string): Promise<string | undefined> {
  const text = await readFile(path.join(dataDir, FILE), 'utf8').catch(() => undefined);
  const parsed = text === undefined ? undefined : announcement.safeParse(parseJson(text));
  if (!parsed?.success || !isRunning(parsed.data.pid) || !(await answers(parsed.data.url))) return undefined;
  return parsed.data.url;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, another user's
  }
}

async function answers(url: string): Promise<boolean> {
  const client = new mongoose.mongo.MongoClient(url, { serverSelectionTimeoutMS: 2_000, connectTimeoutMS: 2_000 });
  try {
    await client.db('admin').command({ ping: 1 });
    return true;
  } catch {
    return false;
  } finally {
    await client.close();
  }
}
