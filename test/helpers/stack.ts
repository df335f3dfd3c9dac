import type { TestFn } from 'ava';
import type { RunningStore } from '../../server/store/embedded.js';
import { client, type Client } from './api.js';
import { startTestRedis, type TestRedis } from './redis.js';
import { startServer, type ServerProcess } from './server.js';
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
