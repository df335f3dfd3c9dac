import { statfs } from 'node:fs/promises';

/** Room an upload holds on disk from its admission until it ends (released in a `finally`). */
export interface DiskReservation {
  /** Counts bytes of the upload written to disk: they show in the free space now, and leave the reservation. */
  wrote(bytes: number): void;
  /** Gives back what is left of the reservation; idempotent. */
  release(): void;
}

/**
 * The free-space reserve of one file system, kept by the uploads of this process: an upload is admitted
 * only when its room (its Content-Length, or the largest upload) fits in the free space beyond
 * `minFreeBytes` left by the uploads admitted before it and not yet written. Checking the free space
 * alone would let any number of uploads admitted at once each find room for itself.
 */
export class DiskReserve {
  /** Bytes promised to uploads in progress and not written yet. */
  private outstanding = 0;

  constructor(
    private readonly dir: string,
    private readonly minFreeBytes: number,
    private readonly freeBytes: (dir: string) => Promise<number> = freeBytesOf,
  ) {}

  /** Reserves `bytes`; undefined when they do not fit beside the reserve and the uploads in progress. */
  async reserve(bytes: number): Promise<DiskReservation | undefined> {
    const free = await this.freeBytes(this.dir);
    // No await between the check and the count: reservations made at once see each other.
    if (free - this.outstanding - bytes < this.minFreeBytes) return undefined;
    this.outstanding += bytes;
    let left = bytes;
    return {
      wrote: (written) => {
        const counted = Math.min(written, left);
        left -= counted;
        this.outstanding -= counted;
      },
      release: () => {
        this.outstanding -= left;
        left = 0;
      },
    };
  }
}

async function freeBytesOf(dir: string): Promise<number> {
  const { bavail, bsize } = await statfs(dir);
  return bavail * bsize;
}

/** Whether `error` (or what caused it) is the file system out of space, or out of the owner's quota. */
export function isDiskFull(error: unknown): boolean {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 5; cause = cause.cause, depth += 1) {
    const { code } = cause as NodeJS.ErrnoException;
    if (code === 'ENOSPC' || code === 'EDQUOT') return true;
  }
  return false;
}
