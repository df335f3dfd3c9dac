import pLimit from 'p-limit';
import { checkPlayable, extractCover } from './covers.js';
import type { MediaStorage } from './media-storage.js';

/** Covers waiting for an ffmpeg at most; past that a video keeps its placeholder. */
const MAX_WAITING = 100;

/**
 * Makes covers in the background, two ffmpeg processes at a time (they are CPU-bound). A publish waits
 * for its cover only briefly; until the cover exists its URL serves a placeholder.
 */
export class CoverMaker {
  private readonly limit = pLimit(2);
  private readonly checks = pLimit(2);

  constructor(
    private readonly storage: MediaStorage,
    readonly enabled: boolean,
    private readonly onError: (error: unknown, videoKey: string) => void,
  ) {}

  /** Starts making the cover of `videoKey`; resolves when it exists or after `waitMs`, whichever is first. */
  async start(videoKey: string, coverKey: string, waitMs: number): Promise<void> {
    if (!this.enabled) return;
    if (this.limit.pendingCount >= MAX_WAITING) {
      this.onError(new Error(`${MAX_WAITING} covers are waiting already: this one stays a placeholder`), videoKey);
      return;
    }
    const made = this.limit(() => extractCover(this.storage.localPath(videoKey), this.storage.localPath(coverKey)))
      .catch((error: unknown) => this.onError(error, videoKey));
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)));
    await Promise.race([made, waited]);
    clearTimeout(timer);
  }

  /** Whether `file` plays (see checkPlayable); taken as playable without ffmpeg, which cannot tell. */
  async check(file: string): ReturnType<typeof checkPlayable> {
    return this.enabled ? this.checks(() => checkPlayable(file)) : { playable: true };
  }

  /** Resolves when every cover started so far is done (for shutdown). */
  async idle(): Promise<void> {
    while (this.limit.activeCount + this.limit.pendingCount > 0) await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
