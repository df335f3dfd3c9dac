import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { exists, onPath } from './files.js';

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

/**
 * When this process is root: why POSTGRES_USER could not reach `dir` (a closed ancestor such as
 * /root or a mkdtemp directory), or undefined when it can. Always undefined for other users, who
 * run PostgreSQL as themselves.
 */
export async function unreachableByPostgresUser(dir: string): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '');
  const entry = passwd.split('\n').find((line) => line.startsWith(`${POSTGRES_USER}:`))?.split(':');
  if (!entry) return `there is no user ${POSTGRES_USER} to run PostgreSQL as (apt-get install postgresql creates it)`;
  const [uid, gid] = [Number(entry[2]), Number(entry[3])];
  for (let parent = path.dirname(path.resolve(dir)); ; parent = path.dirname(parent)) {
    const info = await stat(parent).catch(() => undefined);
    if (info) {
      const bit = info.uid === uid ? 0o100 : info.gid === gid ? 0o010 : 0o001;
      if ((info.mode & bit) === 0) return `${parent} is closed to the user ${POSTGRES_USER}, which PostgreSQL runs as when the server runs as root`;
    }
    if (parent === path.dirname(parent)) return undefined;
  }
}
