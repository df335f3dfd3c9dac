import { randomUUID } from 'node:crypto';
import { access, mkdir, readdir, rename, rm, stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import { isMediaKey, type MediaStorage } from './media-storage.js';

/** Leftover uploads older than this belong to a process that died: no record points at them. */
const STALE_UPLOAD_MS = 24 * 3600 * 1000;

/**
 * Media on local disk under `root`. Uploads in progress live in `root/.tmp/<process>/`, on the same
 * filesystem so that renames into place are atomic; several processes may share one root.
 */
export class LocalStorage implements MediaStorage {
  readonly root: string;
  private readonly uploads: string;
  private readonly tmp: string;

  /** `minFreeBytes`: uploads are refused while the file system has less free space than this. */
  constructor(root: string, private readonly minFreeBytes = 0) {
    this.root = path.resolve(root);
    this.uploads = path.join(this.root, '.tmp');
    this.tmp = path.join(this.uploads, randomUUID());
  }

  async init(): Promise<void> {
    for (const dir of ['videos', 'covers', this.tmp]) await mkdir(path.resolve(this.root, dir), { recursive: true });
    await this.removeStaleUploads();
  }

  /** Removes this process's upload directory (at shutdown). */
  async close(): Promise<void> {
    await rm(this.tmp, { recursive: true, force: true });
  }

  private async removeStaleUploads(): Promise<void> {
    for (const name of await readdir(this.uploads)) {
      const dir = path.join(this.uploads, name);
      const info = await stat(dir).catch(() => undefined);
      if (info && Date.now() - info.mtimeMs > STALE_UPLOAD_MS) await rm(dir, { recursive: true, force: true });
    }
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
