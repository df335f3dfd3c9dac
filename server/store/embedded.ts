import path from 'node:path';
import type { Logger } from 'pino';
import type { RunningStore } from './child.js';
import { clusterPlace, DEFAULT_CLUSTERS_DIR } from './cluster-place.js';
import { startFerretdbOnPostgres, startFerretdbOnSqlite } from './ferretdb.js';
import { exists } from './files.js';
import { migrateSqliteStore, sqliteStoreExists } from './migrate.js';
import { findMongod, startMongod } from './mongod.js';
import { findPostgres } from './postgres.js';
import { StoreRefusal } from './refusal.js';

export type { RunningStore } from './child.js';

export type EmbeddedStoreMode = 'auto' | 'mongod' | 'postgresql' | 'sqlite';

export interface EmbeddedStoreOptions {
  mode: EmbeddedStoreMode;
  dataDir: string;
  port: number;
  /** Where the PostgreSQL cluster goes when the user postgres cannot reach DATA_DIR (EMBEDDED_CLUSTERS_DIR). */
  clustersDir?: string;
}

/**
 * Starts a MongoDB-protocol server for this process, with its data under DATA_DIR: a real mongod
 * when one is installed or can be downloaded, otherwise FerretDB on PostgreSQL. FerretDB on SQLite
 * only when asked for (EMBEDDED_STORE=sqlite), or for the SQLite store of an earlier version on a
 * machine without PostgreSQL; that store is moved to PostgreSQL at the first start that can.
 * Where none of them can run, a StoreRefusal says what to run.
 */
export async function startEmbeddedStore(options: EmbeddedStoreOptions, logger: Logger): Promise<RunningStore> {
  const { mode, dataDir, port } = options;
  if (mode === 'auto' || mode === 'mongod') {
    const mongod = await findMongod(logger);
    if (mongod) return startMongod(mongod, path.join(dataDir, 'mongod'), port, logger);
    if (mode === 'mongod') throw new Error('EMBEDDED_STORE=mongod, but no mongod is installed and none could be downloaded');
  }
  const sqliteDir = path.join(dataDir, 'ferretdb');
  if (mode === 'sqlite') return startFerretdbOnSqlite(sqliteDir, port, logger);

  const postgres = await findPostgres();
  if (!postgres) {
    if (mode === 'auto' && (await exists(sqliteDir))) {
      logger.warn('the store is FerretDB on SQLite, which reads whole collections and slows down as data grows: no PostgreSQL server is installed (apt-get install postgresql, and the next start moves the data to it)');
      return startFerretdbOnSqlite(sqliteDir, port, logger);
    }
    throw new StoreRefusal('no PostgreSQL server is installed', ['apt-get install postgresql   (npm start does it when run as root)', 'EMBEDDED_STORE=sqlite npm start   (FerretDB on SQLite, which slows down as data grows)']);
  }
  const postgresDir = await clusterPlace(dataDir, options.clustersDir ?? DEFAULT_CLUSTERS_DIR, logger);
  if (await sqliteStoreExists(sqliteDir, postgresDir)) await migrateSqliteStore({ sqliteDir, postgresDir, postgres }, logger);
  return startFerretdbOnPostgres(postgresDir, postgres, port, logger);
}
