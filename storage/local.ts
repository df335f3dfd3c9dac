import { access, mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { DiskReservation } from './disk-reserve.js';
import { checkedKey, withoutCovers, type MediaLocation, type MediaStorage } from './media-storage.js';
import { Spool } from './spool.js';

/**
 * Media on local disk under `root`, served by this server. Uploads in progress are spooled in
 * `root/.tmp`, on the same filesystem, so that moving one into place is an atomic rename; several
 * processes, on several hosts sharing a volume, may share one root.
 */
export class LocalStorage implements MediaStorage {
  readonly root: string;
  readonly description: string;
  private readonly spool: Spool;

  /** `minFreeBytes`: uploads are refused when their room would leave the file system less free space than this. */
  constructor(root: string, minFreeBytes = 0) {
    this.root = path.resolve(root);
    this.description = `local disk (${this.root})`;
    this.spool = new Spool(path.join(this.root, '.tmp'), minFreeBytes);
  }

  async init(): Promise<void> {
    for (const dir of ['videos', 'covers']) await mkdir(path.join(this.root, dir), { recursive: true });
    await this.spool.init();
  }

  async close(): Promise<void> {
    await this.spool.close();
  }

  tempFile(extension?: string): string {
    return this.spool.tempFile(extension);
  }

  reserveRoom(bytes: number): Promise<DiskReservation | undefined> {
    return this.spool.reserveRoom(bytes);
  }

  async importFile(file: string, key: string): Promise<void> {
    await rename(file, this.localPath(key));
  }

  async remove(key: string): Promise<void> {
    await rm(this.localPath(key), { force: true });
  }

  private async exists(key: string): Promise<boolean> {
    return access(this.localPath(key)).then(() => true, () => false);
  }

  async source(key: string): Promise<string> {
    return this.localPath(key);
  }

  async locate(key: string): Promise<MediaLocation | undefined> {
    return (await this.exists(key)) ? { file: this.localPath(key) } : undefined;
  }

  async videosWithoutCovers(): Promise<Array<[string, string]>> {
    const covers = new Set((await readdir(path.join(this.root, 'covers'))).map((file) => `covers/${file}`));
    return withoutCovers((await readdir(path.join(this.root, 'videos'))).map((file) => `videos/${file}`), covers);
  }

  private localPath(key: string): string {
    return path.join(this.root, checkedKey(key));
  }
}
