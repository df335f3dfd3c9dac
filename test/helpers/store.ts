import { rm } from 'node:fs/promises';
import { pino } from 'pino';
import { startEmbeddedStore, type RunningStore } from '../../server/store/embedded.js';
import { temporaryDir } from './dirs.js';

/** A real MongoDB-protocol server (mongod if installed, else FerretDB on PostgreSQL) in a fresh temporary directory. */
export async function startTestStore(): Promise<RunningStore> {
  const store = await startRestartableStore();
  const stop = store.stop;
  // Assigned, not spread: `pid` and `exited` stay getters of the store running now.
  return Object.assign(store, {
    async stop() {
      await stop();
      await store.remove();
    },
  });
}

/** A test store that can be stopped (as an outage would) and started again with its data, on its port. */
export async function startRestartableStore() {
  const dataDir = temporaryDir('douyin-store-');
  const logger = pino({ level: 'silent' });
  let store = await startEmbeddedStore({ mode: 'auto', dataDir, port: 0 }, logger);
  const port = Number(new URL(store.url).port);
  return {
    url: store.url,
    description: store.description,
    get pid() {
      return store.pid;
    },
    get exited() {
      return store.exited;
    },
    stop: () => store.stop(),
    async start() {
      store = await startEmbeddedStore({ mode: 'auto', dataDir, port }, logger);
    },
    remove: () => rm(dataDir, { recursive: true, force: true }),
  };
}
