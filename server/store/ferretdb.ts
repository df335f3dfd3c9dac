import path from 'node:path';
import type { Logger } from 'pino';
import { PROJECT_ROOT } from '../paths.js';
import { spawnStore, type RunningStore } from './child.js';
import { goBinary } from './go-binary.js';
import { POSTGRES_USER, type PostgresInstallation } from './postgres.js';

const SOURCE_DIR = path.join(PROJECT_ROOT, 'server/store/ferretdb');
const VERSION = '1.24.2';

/**
 * Starts FerretDB on a PostgreSQL cluster kept in `dir`: the store process creates the cluster on
 * first start, runs it (as an unprivileged user when started as root), keeps its indexes usable,
 * and stops it when it stops or its launcher dies.
 */
export async function startFerretdbOnPostgres(dir: string, postgres: PostgresInstallation, port: number, logger: Logger): Promise<RunningStore> {
  const args = ['-backend', 'postgresql', '-dir', dir, '-postgres-bin', postgres.bin, '-run-as', POSTGRES_USER];
  return start(args, port, `FerretDB ${VERSION} on PostgreSQL${postgres.version ? ` ${postgres.version}` : ''} (${dir})`, logger);
}

/** Starts FerretDB on SQLite with its databases under `dir`. Every query but `_id` lookups reads whole collections. */
export async function startFerretdbOnSqlite(dir: string, port: number, logger: Logger): Promise<RunningStore> {
  return start(['-backend', 'sqlite', '-dir', dir], port, `FerretDB ${VERSION} on SQLite (${dir})`, logger);
}

async function start(args: string[], port: number, description: string, logger: Logger): Promise<RunningStore> {
  const binary = await ferretdbBinary(logger);
  const listen = ['-listen', `127.0.0.1:${port}`, '-watch-stdin'];
  const started = await spawnStore(binary, [...listen, ...args], (line) => (/^mongodb:\/\//.test(line) ? line : undefined), logger);
  return { ...started, description };
}

/** The FerretDB binary, built on first use (server/store/ferretdb pins its version). */
export async function ferretdbBinary(logger: Logger): Promise<string> {
  try {
    return await goBinary({ name: `ferretdb-${VERSION}`, moduleDir: SOURCE_DIR, target: '.', buildTime: 'a minute or two' }, logger);
  } catch (error) {
    if (/needs Go/.test((error as Error).message)) throw new Error('The embedded store needs Go to build FerretDB (apt-get install golang), or set MONGO_URL.');
    throw error;
  }
}
