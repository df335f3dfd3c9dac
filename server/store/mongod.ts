import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { CACHE_DIR } from '../paths.js';
import { spawnStore, type RunningStore } from './child.js';
import { freePort } from './free-port.js';
import { onPath } from './files.js';

/** Remembers a failed download for a day, so offline machines do not wait for it at every start. */
const DOWNLOAD_FAILED_MARKER = path.join(CACHE_DIR, 'mongod-download-failed');
const RETRY_DOWNLOAD_MS = 24 * 3600 * 1000;

/** A `mongod` on PATH, or one mongodb-memory-server already has or can download; undefined otherwise. */
export async function findMongod(logger: Logger): Promise<string | undefined> {
  return (await onPath('mongod')) ?? (await downloadedMongod(logger));
}

export async function startMongod(binary: string, dir: string, port: number, logger: Logger): Promise<RunningStore> {
  await mkdir(dir, { recursive: true });
  const listenPort = port || (await freePort());
  const args = ['--dbpath', dir, '--port', String(listenPort), '--bind_ip', '127.0.0.1'];
  const url = `mongodb://127.0.0.1:${listenPort}/`;
  const started = await spawnStore(binary, args, (line) => (line.includes('Waiting for connections') ? url : undefined), logger);
  return { ...started, description: `mongod (${binary}, data in ${dir})` };
}

async function downloadedMongod(logger: Logger): Promise<string | undefined> {
  const failedAt = await stat(DOWNLOAD_FAILED_MARKER).then((info) => info.mtimeMs, () => 0);
  if (Date.now() - failedAt < RETRY_DOWNLOAD_MS) return undefined;
  try {
    const { MongoBinary } = await import('mongodb-memory-server-core');
    return await MongoBinary.getPath();
  } catch (error) {
    logger.info(`no mongod could be downloaded (${(error as Error).message.replace(/\s+/g, ' ')}); not trying again for a day`);
    await mkdir(CACHE_DIR, { recursive: true });
    await writeFile(DOWNLOAD_FAILED_MARKER, String(error));
    return undefined;
  }
}
