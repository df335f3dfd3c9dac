import { MEDIA_PREFIXES, mediaIdOf, type MediaStorage, type StoredObject } from './media-storage.js';

export interface OrphanSweep {
  media: MediaStorage;
  /** Which of these video ids have a record: one lookup per page of objects. */
  recorded(ids: number[]): Promise<Set<number>>;
  /**
   * Objects written less than this long ago are left alone, whatever the records say: a publish
   * stores its object before writing its record, within its request's budget.
   */
  olderThanMs: number;
}

/**
 * Removes the media (videos, covers, uploads waiting for transcoding, HLS renditions) that have no video record and are older than `olderThanMs`: left by
 * a publish refused after its object was stored (a bucket that took the object after the refusal, a
 * store that never took the record), or by a process that died between the two. Pages through the
 * storage, asking for the records of a page, and removing its orphans, at once. Safe with several processes sweeping at once:
 * a removal of what another one removed is no error. Returns how many were removed.
 */
export async function sweepOrphans({ media, recorded, olderThanMs }: OrphanSweep): Promise<number> {
  let removed = 0;
  for (const prefix of MEDIA_PREFIXES) {
    for await (const page of media.listObjects(prefix)) {
      const old = page.filter((object) => Date.now() - object.modified.getTime() >= olderThanMs);
      const orphans = await orphansAmong(old, recorded);
      await media.removeMany(orphans.map((object) => object.key));
      removed += orphans.length;
    }
  }
  return removed;
}

async function orphansAmong(objects: StoredObject[], recorded: OrphanSweep['recorded']): Promise<StoredObject[]> {
  if (objects.length === 0) return [];
  const kept = await recorded([...new Set(objects.map((object) => mediaIdOf(object.key)!))]);
  return objects.filter((object) => !kept.has(mediaIdOf(object.key)!));
}

/**
 * Sweeps now, then every `everyMs`, one sweep at a time; a sweep that fails (the store or the bucket
 * away) is reported and the next one tries again. `first` settles when the first sweep has.
 */
export function sweepOrphansEvery(everyMs: number, sweep: OrphanSweep, report: (removed: number | Error) => void): { first: Promise<void>; stop(): void } {
  let running = false;
  let stopped = false;
  const run = async () => {
    if (running) return;
    running = true;
    const outcome = await sweepOrphans(sweep).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
    running = false;
    if (!stopped) report(outcome);
  };
  const timer = setInterval(() => void run(), everyMs);
  timer.unref();
  return {
    first: run(),
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
