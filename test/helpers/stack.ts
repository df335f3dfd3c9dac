import type { TestFn } from 'ava';
import type { RunningStore } from '../../server/store/embedded.js';
import { client, type Client } from './api.js';
import { startTestRedis, type TestRedis } from './redis.js';
import { startServer, type ServerProcess } from './server.js';
import { connect, type Recorder } from './sockets.js';
import { startTestStore } from './store.js';

export interface Stack {
  store: RunningStore;
  server: ServerProcess;
  api: Client;
  /** The database URL the server uses, for tests that look at the records themselves. */
  mongoUrl: string;
  stop(): Promise<void>;
}

/** A real store and one server process using database `db` in it. */
export async function startStack(db: string, env: Record<string, string> = {}): Promise<Stack> {
  const store = await startTestStore();
  const mongoUrl = `${store.url}${db}`;
  const server = await startServer({ MONGO_URL: mongoUrl, ...env }).catch(async (error: unknown) => {
    await store.stop();
    throw error;
  });
  return {
    store,
    server,
    api: client(server.baseUrl),
    mongoUrl,
    async stop() {
      await server.stop();
      await store.stop();
    },
  };
}

export interface Backends {
  store: RunningStore;
  redis: TestRedis;
}

/** Registers a real store and a real redis-server for every test of a file, stopped after the last. */
export function useBackends(test: TestFn<Backends>): void {
  test.before(async (t) => {
    t.context = { store: await startTestStore(), redis: await startTestRedis() };
  });
  test.after.always(async (t) => {
    await t.context.redis?.stop();
    await t.context.store?.stop();
  });
}

/** Two server processes sharing one store and one real redis-server; the sockets a test opens. */
export interface TwoProcesses {
  store: RunningStore;
  redis: TestRedis;
  a: ServerProcess;
  b: ServerProcess;
  apiA: Client;
  apiB: Client;
  sockets: Recorder[];
}

/** Starts two processes on database `db` before the first test of a file; closes each test's sockets after it. */
export function useTwoProcesses(test: TestFn<TwoProcesses>, db: string): void {
  test.before(async (t) => {
    const [store, redis] = await Promise.all([startTestStore(), startTestRedis()]);
    const env = { MONGO_URL: `${store.url}${db}`, REDIS_URL: redis.url };
    const [a, b] = await Promise.all([startServer(env), startServer(env)]);
    t.context = { store, redis, a, b, apiA: client(a.baseUrl), apiB: client(b.baseUrl), sockets: [] };
  });
  test.afterEach.always((t) => {
    t.context.sockets.splice(0).forEach((socket) => socket.close());
  });
  test.after.always(async (t) => {
    await Promise.all([t.context.a?.stop(), t.context.b?.stop()]);
    await t.context.redis?.stop();
    await t.context.store?.stop();
  });
}

/** A real socket of the user of `token` on `server`, closed after the test. */
export async function socketOn(t: { context: TwoProcesses }, server: ServerProcess, token: string): Promise<Recorder> {
  const socket = await connect(server.realtimeUrl, token);
  t.context.sockets.push(socket);
  return socket;
}
