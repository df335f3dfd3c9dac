import path from 'node:path';
import type { Logger } from 'pino';
import type { RunningStore } from './child.js';
import { startFerretdbOnPostgres, startFerretdbOnSqlite } from './ferretdb.js';
import { migrateSqliteStore, sqliteStoreExists } from './migrate.js';
import { findMongod, startMongod } from './mongod.js';
import { findPostgres, unreachableByPostgresUser } from './postgres.js';

export type { RunningStore } from './child.js';

export type EmbeddedStoreMode = 'auto' | 'mongod' | 'postgresql' | 'sqlite';

export interface EmbeddedStoreOptions {
  mode: EmbeddedStoreMode;
  dataDir: string;
  port: number;
}

/**
 * Starts a MongoDB-protocol server for this process, with its data under DATA_DIR: a real mongod
 * when one is installed or can be downloaded, otherwise FerretDB on PostgreSQL, otherwise (no
 * PostgreSQL server installed, or none that can reach DATA_DIR) FerretDB on SQLite. The SQLite
 * store of an earlier version is moved to PostgreSQL at the first start that can.
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

  const postgresDir = path.join(dataDir, 'postgres');
  const postgres = await findPostgres();
  const obstacle = postgres ? await unreachableByPostgresUser(postgresDir) : 'no PostgreSQL server is installed (apt-get install postgresql)';
  if (!postgres || obstacle) {
    if (mode === 'postgresql') throw new Error(`EMBEDDED_STORE=postgresql, but ${obstacle}`);
    logger.warn(`the store is FerretDB on SQLite, which reads whole collections and slows down as data grows: ${obstacle}`);
    return startFerretdbOnSqlite(sqliteDir, port, logger);
  }
  if (await sqliteStoreExists(sqliteDir, postgresDir)) await migrateSqliteStore({ sqliteDir, postgresDir, postgres }, logger);
  return startFerretdbOnPostgres(postgresDir, postgres, port, logger);
}
