import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { startEmbeddedStore, type RunningStore } from '../../server/store/embedded.js';

/** A real MongoDB-protocol server (mongod if installed, else FerretDB) in a fresh temporary directory. */
export async function startTestStore(): Promise<RunningStore> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'douyin-store-'));
  const store = await startEmbeddedStore({ mode: 'auto', dataDir, port: 0 }, pino({ level: 'silent' }));
  return {
    ...store,
    async stop() {
      await store.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
