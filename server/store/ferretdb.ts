import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import { CACHE_DIR, PROJECT_ROOT } from '../paths.js';
import { spawnStore, type RunningStore } from './child.js';
import { exists } from './files.js';
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

/**
 * The path of the FerretDB binary, built from the Go module proxy on first use and cached under
 * node_modules/.cache keyed by the hash of its sources, so later starts take a second.
 */
export async function ferretdbBinary(logger: Logger): Promise<string> {
  const binary = path.join(CACHE_DIR, `ferretdb-${VERSION}-${await sourceHash()}`);
  if (await exists(binary)) return binary;
  logger.info(`building FerretDB ${VERSION} with Go (first start only: a minute or two)`);
  await mkdir(CACHE_DIR, { recursive: true });
  const partial = `${binary}.${process.pid}.partial`;
  try {
    await promisify(execFile)('go', ['build', '-trimpath', '-o', partial, '.'], {
      cwd: SOURCE_DIR,
      env: { ...process.env, CGO_ENABLED: '0' },
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const { code, stderr } = error as { code?: string; stderr?: string };
    if (code === 'ENOENT') {
      throw new Error('The embedded store needs Go to build FerretDB (apt-get install golang), or set MONGO_URL.');
    }
    throw new Error(`Building FerretDB failed:\n${stderr ?? String(error)}`);
  }
  await rename(partial, binary); // atomic: concurrent first starts each finish with a complete binary
  return binary;
}

async function sourceHash(): Promise<string> {
  const hash = createHash('sha256');
  const sources = (await readdir(SOURCE_DIR)).filter((file) => /\.go$|^go\.(mod|sum)$/.test(file)).sort();
  for (const file of sources) hash.update(file).update(await readFile(path.join(SOURCE_DIR, file)));
  return hash.digest('hex').slice(0, 12);
}
