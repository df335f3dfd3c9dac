import { randomUUID } from 'node:crypto';
import { access, mkdir, readdir, rename, rm, stat, statfs } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { isMediaKey, type MediaStorage } from './media-storage.js';

/** Leftover uploads of another host older than this belong to a process that died: no record points at them. */
const STALE_UPLOAD_MS = 24 * 3600 * 1000;

/**
 * Media on local disk under `root`. Uploads in progress live in `root/.tmp/<host>-<pid>-<uuid>/`, on
 * the same filesystem so that renames into place are atomic; several processes, on several hosts
 * sharing a volume, may share one root.
 */
export class LocalStorage implements MediaStorage {
  readonly root: string;
  private readonly uploads: string;
  private readonly tmp: string;

  /** `minFreeBytes`: uploads are refused while the file system has less free space than this. */
  constructor(root: string, private readonly minFreeBytes = 0) {
    this.root = path.resolve(root);
    this.uploads = path.join(this.root, '.tmp');
    this.tmp = path.join(this.uploads, `${hostname()}-${process.pid}-${randomUUID()}`);
  }

  async init(): Promise<void> {
    for (const dir of ['videos', 'covers', this.tmp]) await mkdir(path.resolve(this.root, dir), { recursive: true });
    await this.removeStaleUploads();
  }

  /** Removes this process's upload directory (at shutdown). */
  async close(): Promise<void> {
    await rm(this.tmp, { recursive: true, force: true });
  }

  /** Removes the uploads of processes of this host that are gone (a crash), and any left for a day. */
  private async removeStaleUploads(): Promise<void> {
    for (const name of await readdir(this.uploads)) {
      const dir = path.join(this.uploads, name);
      const info = await stat(dir).catch(() => undefined);
      if (!info || dir === this.tmp) continue;
      if (deadProcessOfThisHost(name) || Date.now() - info.mtimeMs > STALE_UPLOAD_MS) await rm(dir, { recursive: true, force: true });
    }
  }

  /** Videos whose cover was never made (the process making it died), as [videoKey, coverKey]. */
  async videosWithoutCovers(): Promise<Array<[string, string]>> {
    const covers = new Set(await readdir(path.join(this.root, 'covers')));
    return (await readdir(path.join(this.root, 'videos')))
      .map((file) => [file, `${file.slice(0, file.lastIndexOf('.'))}.jpg`] as const)
      .filter(([video, cover]) => isMediaKey(`videos/${video}`) && !covers.has(cover))
      .map(([video, cover]) => [`videos/${video}`, `covers/${cover}`]);
  }

  tempFile(): string {
    return path.join(this.tmp, randomUUID());
  }

  async importFile(file: string, key: string): Promise<void> {
    await rename(file, this.localPath(key));
  }

  async remove(key: string): Promise<void> {
    await rm(this.localPath(key), { force: true });
  }

  async exists(key: string): Promise<boolean> {
    return access(this.localPath(key)).then(() => true, () => false);
  }

  async hasRoomFor(bytes: number): Promise<boolean> {
    const { bavail, bsize } = await statfs(this.root);
    return bavail * bsize - bytes >= this.minFreeBytes;
  }

  localPath(key: string): string {
    if (!isMediaKey(key)) throw new Error(`not a media key: ${key}`);
    return path.join(this.root, key);
  }
}

/** Whether an upload directory (`<host>-<pid>-<uuid>`) belongs to a process of this host that no longer runs. */
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
