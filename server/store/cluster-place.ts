import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, realpath, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { exists } from './files.js';
import { closedOnTheWay, clusterRunner, type UnixUser } from './postgres.js';
import { StoreRefusal } from './refusal.js';

/** Where clusters go, one directory per DATA_DIR, when the user postgres cannot reach DATA_DIR. */
export const DEFAULT_CLUSTERS_DIR = '/var/lib/douyin';
/** A file in DATA_DIR naming its cluster's directory when the cluster lives outside DATA_DIR. */
export const CLUSTER_MARKER = 'postgres-location';

const SQLITE_FIX = 'EMBEDDED_STORE=sqlite npm start   (FerretDB on SQLite, which slows down as data grows)';

/**
 * The directory of DATA_DIR's PostgreSQL cluster: `DATA_DIR/postgres` when the user PostgreSQL runs
 * as can reach it. Run as root with DATA_DIR somewhere closed to the user postgres (under /root, in a
 * mktemp directory), the cluster is kept in `clustersDir`, named after DATA_DIR, and a marker in
 * DATA_DIR points at it: nobody's permissions change. Where neither place works, a StoreRefusal says
 * what to run.
 */
export async function clusterPlace(dataDir: string, clustersDir: string, logger: Logger): Promise<string> {
  const inside = path.join(dataDir, 'postgres');
  const runner = await clusterRunner();
  const marked = await readMarker(dataDir);
  if (marked !== undefined) {
    if (runner) await mustReach(marked, runner, [`DATA_DIR/${CLUSTER_MARKER} names ${marked}`]);
    return marked;
  }
  const closed = runner && (await closedOnTheWay(inside, runner));
  if (!runner || !closed) return inside;
  const why = `${closed} is closed to the user ${runner.name}, which PostgreSQL runs as when the server runs as root`;
  const elsewhere = path.join(clustersDir, `${path.basename(dataDir)}-${await keyOf(dataDir)}`);
  if (await exists(inside)) throw movedOutRefusal({ inside, elsewhere, dataDir, closed, runner }, why);
  await makeClustersDir(clustersDir, why);
  await mustReach(elsewhere, runner, [why]);
  await writeFile(path.join(dataDir, CLUSTER_MARKER), `${elsewhere}\n`);
  logger.info(`${why}: its PostgreSQL cluster is kept in ${elsewhere} instead (named in ${path.join(dataDir, CLUSTER_MARKER)}); delete both to delete the data`);
  return elsewhere;
}

async function readMarker(dataDir: string): Promise<string | undefined> {
  const file = path.join(dataDir, CLUSTER_MARKER);
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const dir = text.trim();
  if (!path.isAbsolute(dir)) throw new StoreRefusal(`${file} should name the directory of the PostgreSQL cluster, an absolute path, but says "${dir}"`, [`echo /the/cluster/directory > ${file}`, `rm ${file}   (a new, empty cluster)`]);
  return dir;
}

/** Stable for a DATA_DIR, whatever path it was given by. */
async function keyOf(dataDir: string): Promise<string> {
  await mkdir(dataDir, { recursive: true });
  return createHash('sha256').update(await realpath(dataDir)).digest('hex').slice(0, 12);
}

async function makeClustersDir(dir: string, why: string): Promise<void> {
  try {
    if (await exists(dir)) return;
    await mkdir(dir, { recursive: true });
    await chmod(dir, 0o755); // whatever the umask: the user postgres passes through it
  } catch (error) {
    throw new StoreRefusal(`${why}, and ${dir}, where its cluster would go instead, cannot be made (${(error as Error).message})`, [
      `DATA_DIR=/srv/douyin npm start   (a directory the user postgres can reach)`,
      `EMBEDDED_CLUSTERS_DIR=/a/directory/it/can/reach npm start`,
      SQLITE_FIX,
    ]);
  }
}

async function mustReach(dir: string, runner: UnixUser, context: string[]): Promise<void> {
  const closed = await closedOnTheWay(dir, runner);
  if (!closed) return;
  throw new StoreRefusal(`${[...context, `the PostgreSQL cluster would be in ${dir}, but ${closed} is closed to the user ${runner.name} too`].join('; ')}`, [
    `setfacl -m u:${runner.name}:x ${closed}   (lets that user alone through; the package acl)`,
    `DATA_DIR=/srv/douyin npm start   (a directory the user postgres can reach)`,
    SQLITE_FIX,
  ]);
}

/** A cluster made in DATA_DIR while the user postgres could reach it, which it no longer can. */
function movedOutRefusal(
  { inside, elsewhere, dataDir, closed, runner }: { inside: string; elsewhere: string; dataDir: string; closed: string; runner: UnixUser },
  why: string,
): StoreRefusal {
  return new StoreRefusal(`${why}, and DATA_DIR holds its cluster (${inside})`, [
    `mkdir -p ${path.dirname(elsewhere)} && mv ${inside} ${elsewhere} && echo ${elsewhere} > ${path.join(dataDir, CLUSTER_MARKER)}   (moves the cluster where that user reaches it)`,
    `setfacl -m u:${runner.name}:x ${closed}   (lets that user alone through; the package acl)`,
  ]);
}
