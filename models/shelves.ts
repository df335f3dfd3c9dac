import { LRUCache } from 'lru-cache';
import { idFloor, isDuplicateKey } from './ids.js';
import { Shelf, type ShelfDoc } from './shelf.js';

/**
 * Shelves: an owner's list (a video's comments, a user's likes, follows or followers, the likes and
 * comments an author received) filed in runs of
 * about `sizes.shelf` entries by id, so that a page of a popular owner reads one or two shelves by
 * equality (`{shelf: "<owner>:<k>"}`, the one shape FerretDB narrows by index) instead of every entry
 * the owner has. Each entry carries its shelf key from its insert on.
 *
 * An owner starts unshelved: every entry goes to shelf 0 and nothing is asked of the store to know it.
 * Once its list passes `shelveAt()` entries (seen by a reader that loaded it, or by a writer's
 * occasional count), shelf 1 is begun, and shelf k+1 whenever shelf k reaches `sizes.shelf`. A shelf
 * begins GRACE_MS in the future (an id floor): every process learns of it before an entry can belong
 * to it, since each reads the shelves begun lately every POLL_MS, and writes and reads wait for a
 * fresh look when theirs is older than STALE_MS. So a shelf is a fixed range of ids, and an entry's
 * shelf follows from its id alone: paging by id never skips or repeats an entry. Beginning a shelf is
 * an insert keyed by owner and number, so processes beginning the same one at once begin it once.
 */
export type ListName = 'comments' | 'likes' | 'follows' | 'followers' | 'liked' | 'commented';

export const OWNER_LIST_MAX_ENTRIES = 10_000;
export const OWNER_SHELF_SIZE = 128;
export const sizes = { shelf: OWNER_SHELF_SIZE, maxEntries: OWNER_LIST_MAX_ENTRIES };

/** Sets the shelf size and how many entries an owner's list may have to be kept whole in memory. */
export function sizeOwnerLists(options: { shelf?: number | undefined; maxEntries?: number | undefined }): void {
  if (options.shelf !== undefined) sizes.shelf = options.shelf;
  if (options.maxEntries !== undefined) sizes.maxEntries = options.maxEntries;
}

/** An unshelved owner with this many entries gets shelf 1. */
export const shelveAt = (): number => 2 * sizes.shelf;

const GRACE_MS = 5_000;
const POLL_MS = 1_000;
const STALE_MS = 2_000;
const TICK_MS = 10_000;
const tickOf = (epochMs: number) => Math.floor(epochMs / TICK_MS);

/** Owners (`list:owner`) with a shelf 1. */
const shelved = new Set<string>();
/** The `from` of shelves 1..K of owners asked about lately, kept current by the polls. */
const directories = new LRUCache<string, number[]>({ max: 20_000 });
let lastLook = 0;
let looking: Promise<void> | undefined;
let timer: NodeJS.Timeout | undefined;

const keyOf = (list: ListName, owner: number) => `${list}:${owner}`;

/** Learns the shelved owners; then looks for shelves begun every POLL_MS. */
export async function startShelves(): Promise<void> {
  const start = Date.now();
  const firsts = await Shelf.find({ k: 1 }, { key: 1 }).lean<Array<Pick<ShelfDoc, 'key'>>>();
  for (const { key } of firsts) shelved.add(key);
  lastLook = start;
  timer = setInterval(() => void look().catch(() => undefined), POLL_MS).unref();
}

export function stopShelves(): void {
  clearInterval(timer);
  timer = undefined;
  shelved.clear();
  directories.clear();
  lastLook = 0;
}

/** Reads the shelves begun since the last look (with a tick of margin). */
function look(): Promise<void> {
  looking ??= (async () => {
    const start = Date.now();
    const ticks: number[] = [];
    for (let tick = tickOf(lastLook) - 1; tick <= tickOf(start); tick += 1) ticks.push(tick);
    // Housekeeping, by equality on both stores: not counted as a request's lookup (lookups.ts).
    const begun = await Promise.all(ticks.map((tick) => Shelf.find({ tick }).lean<ShelfDoc[]>()));
    for (const shelf of begun.flat()) learn(shelf);
    lastLook = start;
  })().finally(() => {
    looking = undefined;
  });
  return looking;
}

function learn(shelf: ShelfDoc): void {
  shelved.add(shelf.key);
  const froms = directories.get(shelf.key);
  if (froms && froms[shelf.k - 1] === undefined) {
    froms[shelf.k - 1] = shelf.from;
    if (froms.includes(undefined as never)) directories.delete(shelf.key); // a gap: read it whole next time
  }
}

async function fresh(): Promise<void> {
  if (lastLook === 0) return; // not started (tools and tests without shelves)
  if (Date.now() - lastLook > STALE_MS) await look();
}

/** The `from` of the owner's shelves 1..K; undefined while the owner is unshelved. */
export async function shelvesOf(list: ListName, owner: number): Promise<readonly number[] | undefined> {
  await fresh();
  const key = keyOf(list, owner);
  if (!shelved.has(key)) return undefined;
  let froms = directories.get(key);
  if (!froms) {
    const docs = await Shelf.find({ key }, { k: 1, from: 1 }).lean<Array<Pick<ShelfDoc, 'k' | 'from'>>>();
    froms = docs.sort((a, b) => a.k - b.k).map((doc) => doc.from);
    directories.set(key, froms);
  }
  return froms;
}

/** The shelf an id belongs to: how many shelves begin at or below it. */
export function shelfOf(froms: readonly number[], id: number): number {
  let low = 0;
  let high = froms.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (froms[middle]! <= id) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The shelf key of a new entry of `owner` with id `id`. */
export async function shelfKey(list: ListName, owner: number, id: number): Promise<string> {
  const froms = await shelvesOf(list, owner);
  return `${owner}:${froms ? shelfOf(froms, id) : 0}`;
}

/** Begins shelf `k` of the owner GRACE_MS from now, unless it is begun already. */
export async function beginShelf(list: ListName, owner: number, k: number): Promise<void> {
  const key = keyOf(list, owner);
  const now = Date.now();
  const shelf = { _id: `${key}:${k}`, key, k, from: idFloor(now + GRACE_MS), tick: tickOf(now) };
  try {
    await Shelf.create(shelf);
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
    // Begun elsewhere, from an id we do not know yet: one point lookup, not the owner's whole directory.
    const begun = await Shelf.findById(shelf._id).lean<ShelfDoc>();
    if (begun) learn(begun);
    else directories.delete(key);
    return;
  }
  // Added to a directory in memory rather than forgetting it: a popular owner's directory is long.
  learn(shelf);
}

/** Files shelves of existing entries (the upgrade): shelf k from `froms[k - 1]`, already in the past. */
export async function fileShelves(list: ListName, owner: number, froms: readonly number[]): Promise<void> {
  const key = keyOf(list, owner);
  const tick = tickOf(Date.now());
  for (const [i, from] of froms.entries()) {
    try {
      await Shelf.create({ _id: `${key}:${i + 1}`, key, k: i + 1, from, tick });
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
  }
  if (froms.length > 0) shelved.add(key);
  directories.delete(key);
}
