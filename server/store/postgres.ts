import { spawn } from 'node:child_process';
import { readdir, readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { exists, onPath } from './files.js';
import { StoreRefusal } from './refusal.js';

export interface PostgresInstallation {
  /** The directory holding `initdb` and `postgres`. */
  bin: string;
  /** The major version, e.g. "15", when the layout tells it. */
  version?: string;
}

/** Where Debian and Ubuntu install each PostgreSQL major version. */
const DEBIAN_ROOT = '/usr/lib/postgresql';

/**
 * The newest PostgreSQL server installed here: Debian's layout first (its binaries are not on
 * PATH), then an `initdb` on PATH. Undefined when there is none.
 */
export async function findPostgres(): Promise<PostgresInstallation | undefined> {
  const versions = await readdir(DEBIAN_ROOT).catch(() => [] as string[]);
  for (const version of versions.filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a))) {
    const bin = path.join(DEBIAN_ROOT, version, 'bin');
    if (await hasServer(bin)) return { bin, version };
  }
  const initdb = await onPath('initdb');
  if (!initdb) return undefined;
  const bin = path.dirname(await realpath(initdb));
  return (await hasServer(bin)) ? { bin } : undefined;
}

async function hasServer(bin: string): Promise<boolean> {
  const found = await Promise.all(['initdb', 'postgres'].map((name) => exists(path.join(bin, name))));
  return found.every(Boolean);
}

/** The user PostgreSQL runs as when this process is root (it refuses to run as root); Debian's package creates it. */
export const POSTGRES_USER = 'postgres';

export interface UnixUser {
  name: string;
  uid: number;
  gid: number;
}

/**
 * The user PostgreSQL will run as, when that is not this process's own: POSTGRES_USER when this
 * process is root, undefined otherwise. Throws a StoreRefusal when that user does not exist.
 */
export async function clusterRunner(): Promise<UnixUser | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '');
  const entry = passwd.split('\n').find((line) => line.startsWith(`${POSTGRES_USER}:`))?.split(':');
  if (!entry) throw new StoreRefusal(`there is no user ${POSTGRES_USER} to run PostgreSQL as (it refuses to run as root)`, ['apt-get install postgresql   (creates the user)', 'EMBEDDED_STORE=sqlite npm start   (FerretDB on SQLite: slow as data grows)']);
  return { name: POSTGRES_USER, uid: Number(entry[2]), gid: Number(entry[3]) };
}

/**
 * The first directory on the way to `dir` (or to its nearest existing ancestor, when `dir` is yet to
 * be made) that `user` cannot enter, or undefined when it gets through. Tried as that user, with its
 * primary group only, as PostgreSQL is run (server/store/ferretdb/postgres.go): ACLs count.
 */
export async function closedOnTheWay(dir: string, user: UnixUser): Promise<string | undefined> {
  const target = await nearestExisting(path.resolve(dir));
  if (await canEnter(target, user)) return undefined;
  const chain = [target];
  while (path.dirname(chain[0]!) !== chain[0]) chain.unshift(path.dirname(chain[0]!));
  for (const step of chain) if (!(await canEnter(step, user))) return step;
  return target;
}

async function nearestExisting(dir: string): Promise<string> {
  for (let candidate = dir; ; candidate = path.dirname(candidate)) {
    if ((await exists(candidate)) || candidate === path.dirname(candidate)) return candidate;
  }
}

function canEnter(dir: string, user: UnixUser): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', 'cd -- "$1"', 'sh', dir], { uid: user.uid, gid: user.gid, cwd: '/', stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}
