/**
 * Reads of users and videos never overlap a fold of counters into them (write-behind.ts), and every
 * record read carries the number of folds made before it was read: a view then adds exactly the
 * changes its record does not hold yet, whether the record was read before or after a fold. Without
 * the gate a read running beside a fold could hold some of its updates and not others.
 */
let folds = 0;
let readers = 0;
let writing: Promise<void> | undefined;
let drained: (() => void) | undefined;
const stamps = new WeakMap<object, number>();

/** Reads records with counters (users, videos): after any fold in progress, and stamped with the folds they hold. */
export async function countedRead<T>(read: () => Promise<T>): Promise<T> {
  while (writing) await writing;
  readers += 1;
  const seen = folds;
  try {
    const records = await read();
    for (const record of Array.isArray(records) ? records : [records]) {
      if (record && typeof record === 'object') stamps.set(record, seen);
    }
    return records;
  } finally {
    readers -= 1;
    if (readers === 0) drained?.();
  }
}

/** Runs a fold's writes with no read in progress; new reads wait until it is done. */
export async function foldExclusively(write: () => Promise<void>): Promise<number> {
  while (writing) await writing;
  let release!: () => void;
  writing = new Promise((resolve) => (release = resolve));
  try {
    if (readers > 0) await new Promise<void>((resolve) => (drained = resolve));
    drained = undefined;
    await write();
  } finally {
    // A fold that failed may have made some updates: later reads count as after it.
    folds += 1;
    writing = undefined;
    release();
  }
  return folds;
}

/** The folds a record read from the store holds; records made in memory hold all of them. */
export function foldsIn(record: object): number {
  return stamps.get(record) ?? folds;
}
