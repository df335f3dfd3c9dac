import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { DiskReserve, type DiskReservation } from './disk-reserve.js';

/** Leftover uploads of another host older than this belong to a process that died: no record points at them. */
const STALE_UPLOAD_MS = 24 * 3600 * 1000;

/**
 * Where uploads in progress are written on this host before they are checked and stored:
 * `dir/<host>-<pid>-<uuid>/`, one directory per process. Several processes, on several hosts sharing
 * a volume, may share `dir`; each removes the directories of processes of its host that are gone.
 */
export class Spool {
  readonly dir: string;
  private readonly own: string;
  private readonly reserve: DiskReserve;

  /** `minFreeBytes`: uploads are refused when their room would leave the file system less free space than this. */
  constructor(dir: string, minFreeBytes = 0) {
    this.dir = path.resolve(dir);
    this.own = path.join(this.dir, `${hostname()}-${process.pid}-${randomUUID()}`);
    this.reserve = new DiskReserve(this.dir, minFreeBytes);
  }

  async init(): Promise<void> {
    await mkdir(this.own, { recursive: true });
    await this.removeStale();
  }

  /** Removes this process's directory (at shutdown). */
  async close(): Promise<void> {
    await rm(this.own, { recursive: true, force: true });
  }

  /** A fresh path for one upload; the caller removes it, or moves it into the storage. */
  tempFile(extension = ''): string {
    return path.join(this.own, randomUUID() + extension);
  }

  /** Room for an upload of up to `bytes`, held until released; undefined when it would eat into the reserve of free space. */
  reserveRoom(bytes: number): Promise<DiskReservation | undefined> {
    return this.reserve.reserve(bytes);
  }

  /** Removes the directories of processes of this host that are gone (a crash), and any left for a day. */
  private async removeStale(): Promise<void> {
    for (const name of await readdir(this.dir)) {
      const dir = path.join(this.dir, name);
      const info = await stat(dir).catch(() => undefined);
      if (!info || dir === this.own) continue;
      if (deadProcessOfThisHost(name) || Date.now() - info.mtimeMs > STALE_UPLOAD_MS) await rm(dir, { recursive: true, force: true });
    }
  }
}

/** Whether a directory (`<host>-<pid>-<uuid>`) belongs to a process of this host that no longer runs. */
function deadProcessOfThisHost(name: string): boolean {
  const match = /^(.+)-(\d+)-[0-9a-f-]{36}$/.exec(name);
  if (!match || match[1] !== hostname()) return false;
  try {
    process.kill(Number(match[2]), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
