import { access, mkdir, opendir, readdir, readFile, rename, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { DiskReservation } from './disk-reserve.js';
import { checkedKey, isMediaKey, LIST_PAGE_SIZE, MEDIA_PREFIXES, withoutCovers, type MediaLocation, type MediaPrefix, type MediaStorage, type StoredObject } from './media-storage.js';
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
    for (const dir of MEDIA_PREFIXES) await mkdir(path.join(this.root, dir), { recursive: true });
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
    const target = this.localPath(key);
    if (key.startsWith('hls/')) await mkdir(path.dirname(target), { recursive: true });
    await rename(file, target);
  }

  async remove(key: string): Promise<void> {
    await rm(this.localPath(key), { force: true });
    // A video's HLS directory goes with its last file.
    if (key.startsWith('hls/')) await rmdir(path.dirname(this.localPath(key))).catch(() => undefined);
  }

  async removeMany(keys: readonly string[]): Promise<void> {
    await Promise.all(keys.map((key) => this.remove(key)));
  }

  private async exists(key: string): Promise<boolean> {
    return access(this.localPath(key)).then(() => true, () => false);
  }

  async source(key: string): Promise<string> {
    return this.localPath(key);
  }

  async localCopy(key: string): Promise<{ file: string; release(): Promise<void> }> {
    return { file: this.localPath(key), release: async () => undefined };
  }

  async read(key: string): Promise<Buffer | undefined> {
    return readFile(this.localPath(key)).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? undefined : Promise.reject(error)));
  }

  async locate(key: string): Promise<MediaLocation | undefined> {
    return (await this.exists(key)) ? { file: this.localPath(key) } : undefined;
  }

  async *listObjects(prefix: MediaPrefix): AsyncIterable<StoredObject[]> {
    let page: string[] = [];
    // HLS renditions sit in a directory per video.
    for await (const entry of await opendir(path.join(this.root, prefix), { recursive: prefix === 'hls/' })) {
      const key = path.relative(this.root, path.join(entry.parentPath, entry.name));
      if (entry.isFile() && isMediaKey(key)) page.push(key);
      if (page.length === LIST_PAGE_SIZE) yield await this.stored(page.splice(0));
    }
    if (page.length > 0) yield await this.stored(page);
  }

  /** `keys` with their modification times; a file removed meanwhile is left out. */
  private async stored(keys: string[]): Promise<StoredObject[]> {
    const times = await Promise.all(keys.map((key) => stat(this.localPath(key)).then((info) => info.mtime, () => undefined)));
    return keys.flatMap((key, i) => (times[i] ? [{ key, modified: times[i] }] : []));
  }

  async videosWithoutCovers(): Promise<Array<[string, string]>> {
    const covers = new Set((await readdir(path.join(this.root, 'covers'))).map((file) => `covers/${file}`));
    return withoutCovers((await readdir(path.join(this.root, 'videos'))).map((file) => `videos/${file}`), covers);
  }

  private localPath(key: string): string {
    return path.join(this.root, checkedKey(key));
  }
}
