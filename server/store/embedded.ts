import path from 'node:path';
import type { Logger } from 'pino';
import type { RunningStore } from './child.js';
import { startFerretdb } from './ferretdb.js';
import { findMongod, startMongod } from './mongod.js';

export type { RunningStore } from './child.js';

export interface EmbeddedStoreOptions {
  mode: 'auto' | 'mongod' | 'ferretdb';
  dataDir: string;
  port: number;
}

/**
 * Starts a MongoDB-protocol server for this process, with its data under DATA_DIR: a real mongod
 * when one is installed or can be downloaded, otherwise FerretDB on SQLite.
 */
export async function startEmbeddedStore(options: EmbeddedStoreOptions, logger: Logger): Promise<RunningStore> {
  if (options.mode !== 'ferretdb') {
    const mongod = await findMongod(logger);
    if (mongod) return startMongod(mongod, path.join(options.dataDir, 'mongod'), options.port, logger);
    if (options.mode === 'mongod') {
      throw new Error('EMBEDDED_STORE=mongod, but no mongod is installed and none could be downloaded');
    }
  }
  return startFerretdb(path.join(options.dataDir, 'ferretdb'), options.port, logger);
}
