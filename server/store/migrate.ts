import { rename, rm } from 'node:fs/promises';
import mongoose from 'mongoose';
import type { Logger } from 'pino';
import { startFerretdbOnPostgres, startFerretdbOnSqlite } from './ferretdb.js';
import { exists } from './files.js';
import type { PostgresInstallation } from './postgres.js';

const BATCH = 1_000;

/** Whether `sqliteDir` holds a store of an earlier version (FerretDB on SQLite) not yet moved to PostgreSQL. */
export async function sqliteStoreExists(sqliteDir: string, postgresDir: string): Promise<boolean> {
  return (await exists(sqliteDir)) && !(await exists(postgresDir));
}

/**
 * Copies every database of the SQLite store into a new PostgreSQL cluster, once. The cluster is
 * built aside and renamed into place only when the copy is complete, so an interrupted move starts
 * over at the next start; the SQLite directory is kept, renamed, for the operator to delete.
 */
export async function migrateSqliteStore(
  { sqliteDir, postgresDir, postgres }: { sqliteDir: string; postgresDir: string; postgres: PostgresInstallation },
  logger: Logger,
): Promise<void> {
  const kept = `${sqliteDir}.moved-to-postgres`;
  logger.info(`moving the store of an earlier version (FerretDB on SQLite, ${sqliteDir}) to PostgreSQL (${postgresDir}), once; the old directory is kept as ${kept}`);
  const partial = `${postgresDir}.partial`;
  await rm(partial, { recursive: true, force: true });
  const from = await startFerretdbOnSqlite(sqliteDir, 0, logger);
  let copied: number;
  try {
    const to = await startFerretdbOnPostgres(partial, postgres, 0, logger);
    try {
      copied = await copyDatabases(from.url, to.url);
    } finally {
      await to.stop();
    }
  } finally {
    await from.stop();
  }
  await rename(partial, postgresDir);
  await rename(sqliteDir, kept);
  logger.info(`moved ${copied} documents to PostgreSQL`);
}

async function copyDatabases(fromUrl: string, toUrl: string): Promise<number> {
  const from = await mongoose.mongo.MongoClient.connect(fromUrl);
  const to = await mongoose.mongo.MongoClient.connect(toUrl);
  let copied = 0;
  try {
    const { databases } = await from.db('admin').admin().listDatabases({ nameOnly: true });
    for (const { name } of databases.filter((db) => !['admin', 'local', 'config'].includes(db.name))) {
      for (const { name: collection } of await from.db(name).listCollections({}, { nameOnly: true }).toArray()) {
        await to.db(name).createCollection(collection).catch(() => undefined); // kept even when empty
        let batch: mongoose.mongo.Document[] = [];
        for await (const doc of from.db(name).collection(collection).find()) {
          batch.push(doc);
          if (batch.length === BATCH) copied += await insert(to.db(name).collection(collection), batch.splice(0));
        }
        if (batch.length > 0) copied += await insert(to.db(name).collection(collection), batch);
      }
    }
  } finally {
    await Promise.all([from.close(), to.close()]);
  }
  return copied;
}

async function insert(collection: mongoose.mongo.Collection, docs: mongoose.mongo.Document[]): Promise<number> {
  return (await collection.insertMany(docs, { ordered: false })).insertedCount;
}
