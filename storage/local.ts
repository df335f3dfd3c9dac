import { randomUUID } from 'node:crypto';
import { access, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { isMediaKey, type MediaStorage } from './media-storage.js';

/** Media on local disk under `root`; uploads in progress under `root/.tmp` (same filesystem: renames are atomic). */
export class LocalStorage implements MediaStorage {
  readonly root: string;
  private readonly tmp: string;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.tmp = path.join(this.root, '.tmp');
  }

  async init(): Promise<void> {
    await Promise.all(['videos', 'covers', '.tmp'].map((dir) => mkdir(path.join(this.root, dir), { recursive: true })));
    // Leftovers of uploads cut short by a crash belong to no record.
    await rm(this.tmp, { recursive: true, force: true });
    await mkdir(this.tmp, { recursive: true });
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

  localPath(key: string): string {
    if (!isMediaKey(key)) throw new Error(`not a media key: ${key}`);
    return path.join(this.root, key);
  }
}
