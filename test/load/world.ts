import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import { closeDatabase, openDatabase } from '../../models/db.js';
import { User } from '../../models/user.js';
import { Video } from '../../models/video.js';
import { PROJECT_ROOT } from '../../server/paths.js';
import { startServer, TEST_JWT_SECRET, type ServerProcess } from '../helpers/server.js';
import { startTestStore } from '../helpers/store.js';

export const LOAD_DIR = path.join(PROJECT_ROOT, 'test/load');
export const USERS_CSV = path.join(LOAD_DIR, 'users.csv');
const SEED = path.join(PROJECT_ROOT, 'dist/server/tools/seed.js');

export interface LoadWorld {
  server: ServerProcess;
  storePid: number;
  stop(): Promise<void>;
}

/** A virtual user's row: its token, a peer (a seeded neighbour: friends who chatted) and its token, a video and a user to act on. */
export interface Row {
  token: string;
  peerId: number;
  peerToken: string;
  myId: number;
  videoId: number;
  otherId: number;
}

export type RowsOf = (users: readonly number[], videos: readonly number[]) => Row[];

/**
 * A fresh store seeded with `npm run seed` (its output shown), users.csv written from the seeded
 * users, and a server on it (rate limits off: all the load comes from one address; its log to a file,
 * not a pipe, whose reading would take CPU from the load generator).
 */
export async function startLoadWorld(seedArgs: readonly string[], rowsOf: RowsOf): Promise<LoadWorld> {
  const store = await startTestStore();
  const mongoUrl = `${store.url}load`;
  const dataDir = await mkdtemp(path.join(tmpdir(), 'douyin-load-'));
  try {
    await seed(seedArgs, { MONGO_URL: mongoUrl, DATA_DIR: dataDir });
    const { users, videos } = await seededIds(mongoUrl);
    await writeFile(USERS_CSV, csv(rowsOf(users, videos)));
    const server = await startServer({ MONGO_URL: mongoUrl, DATA_DIR: dataDir }, { outputToFile: true });
    return {
      server,
      storePid: store.pid!,
      async stop() {
        await server.stop();
        await cleanUp();
      },
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }

  async function cleanUp() {
    await store.stop();
    await rm(USERS_CSV, { force: true });
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function seed(args: readonly string[], env: Record<string, string>): Promise<void> {
  const child = spawn(process.execPath, [SEED, ...args], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...env } });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`npm run seed exited with ${code}`);
}

async function seededIds(mongoUrl: string): Promise<{ users: number[]; videos: number[] }> {
  await openDatabase(mongoUrl);
  try {
    const users = await User.find({ usernameKey: /^seed_\d+$/ }, { _id: 1 }).sort({ usernameKey: 1 }).lean();
    const videos = await Video.find({}, { _id: 1 }).lean();
    return { users: users.map((user) => user._id), videos: videos.map((video) => video._id) };
  } finally {
    await closeDatabase();
  }
}

/** Tokens are signed with the server's secret rather than logged in for, so the scenarios measure the API, not argon2. */
export function tokenOf(id: number): string {
  return jwt.sign({}, TEST_JWT_SECRET, { subject: String(id), expiresIn: 3600 });
}

/** Seed users i and i^1 are neighbours, hence friends who chatted. */
export function peerOf(users: readonly number[], i: number): number {
  return users[i ^ 1] ?? users[i - 1]!;
}

function csv(rows: readonly Row[]): string {
  const lines = rows.map((row) => [row.token, row.peerId, row.peerToken, row.myId, row.videoId, row.otherId].join(','));
  return `token,peer_id,peer_token,my_id,video_id,other_id\n${lines.join('\n')}\n`;
}
