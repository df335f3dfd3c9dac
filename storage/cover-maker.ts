import { rm } from 'node:fs/promises';
import pLimit from 'p-limit';
import { checkPlayable, extractCover } from './covers.js';
import type { MediaStorage } from './media-storage.js';

/** Covers waiting for an ffmpeg at most; past that a video keeps its placeholder. */
const MAX_WAITING = 100;
/** A cover that could not be made is tried again after these delays (the bucket may be back). */
const RETRY_DELAYS_MS = [5_000, 30_000, 120_000];

/** Makes the cover of a stored video from one of its frames and stores it under `coverKey`. */
export async function storeCover(storage: MediaStorage, videoKey: string, coverKey: string): Promise<void> {
  const output = storage.tempFile('.jpg');
  try {
    await extractCover(await storage.source(videoKey), output);
    await storage.importFile(output, coverKey);
  } finally {
    await rm(output, { force: true });
  }
}

/**
 * Makes covers in the background, two ffmpeg processes at a time (they are CPU-bound). A publish waits
 * for its cover only briefly; until the cover exists its URL serves a placeholder.
 */
export class CoverMaker {
  private readonly limit = pLimit(2);
  private readonly checks = pLimit(2);
  private stopped = false;

  constructor(
    private readonly storage: MediaStorage,
    readonly enabled: boolean,
    private readonly onError: (error: unknown, videoKey: string) => void,
    private readonly onMade: (videoKey: string) => Promise<void> = async () => undefined,
  ) {}

  /** Starts making the cover of `videoKey`; resolves when it exists or after `waitMs`, whichever is first. */
  async start(videoKey: string, coverKey: string, waitMs: number): Promise<void> {
    if (!this.enabled || this.stopped) return;
    if (this.limit.pendingCount >= MAX_WAITING) {
      this.onError(new Error(`${MAX_WAITING} covers are waiting already: this one stays a placeholder`), videoKey);
      return;
    }
    const made = this.attempt(videoKey, coverKey);
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)));
    await Promise.race([made, waited]);
    clearTimeout(timer);
  }

  /** Makes the cover; a failure is tried again later, in the background, and reported once all tries failed. */
  private async attempt(videoKey: string, coverKey: string, retry = 0): Promise<void> {
    try {
      await this.limit(() => storeCover(this.storage, videoKey, coverKey));
      await this.onMade(videoKey);
    } catch (error) {
      const delay = RETRY_DELAYS_MS[retry];
      if (delay === undefined || this.stopped) return this.onError(error, videoKey);
      setTimeout(() => void this.attempt(videoKey, coverKey, retry + 1), delay).unref();
    }
  }

  /** Makes, in the background, the covers a process died before making (a crash, a kill). */
  async catchUp(): Promise<number> {
    const missing = await this.storage.videosWithoutCovers();
    for (const [videoKey, coverKey] of missing) void this.start(videoKey, coverKey, 0);
    return missing.length;
  }

  /** Whether `file` plays (see checkPlayable); taken as playable without ffmpeg, which cannot tell. */
  async check(file: string): ReturnType<typeof checkPlayable> {
    return this.enabled ? this.checks(() => checkPlayable(file)) : { playable: true };
  }

  /**
   * For shutdown: drops the covers still waiting (the next start makes them: `catchUp`), takes no new
   * ones, and resolves once those being made are done, at most two ffmpeg runs however long the queue.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.limit.clearQueue();
    while (this.limit.activeCount > 0) await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
