import { LRUCache } from 'lru-cache';
import type { Model } from 'mongoose';
import { findIn } from './lookups.js';
import { beginShelf, shelfKey, shelfOf, shelvesOf, shelveAt, sizes, type ListName } from './shelves.js';

/**
 * Owners' lists, newest first: a user's likes, whom a user follows, a user's followers, a video's
 * comments. A list of at most `sizes.maxEntries` entries is read whole, once, with one equality query,
 * and every page, flag and friendship test of that owner is answered from memory. A longer list is
 * read by shelves (shelves.ts): a page reads the one or two shelves it needs, each kept in memory once
 * read, and flags are point lookups of the owner and the target; the store never reads it whole.
 *
 * A write forgets the owners it changed at once on its process and, through `cacheEvents` and Redis,
 * on the others; writes behind the server's back (a shell, a recount) are seen within OWNER_LIST_TTL_MS.
 */
export const OWNER_LIST_TTL_MS = 30_000;
export { OWNER_LIST_MAX_ENTRIES } from './shelves.js';

/** A writer asks for a count of an owner's newest shelf after this many of its inserts into that list. */
const COUNT_EVERY = 32;

/** An entry's id orders the list (ids grow with time). */
export interface Entry {
  _id: number;
}

export interface ListCursor {
  /** Only entries older than this id. */
  before?: number;
  limit: number;
}

export interface ListPage<T> {
  entries: T[];
  /** The `before` of the next page; 0 when this page is the last. */
  nextCursor: number;
}

interface Spec<T> {
  list: ListName;
  model: Model<any>;
  /** The field naming the owner. */
  owner: string;
  /** The field holding an entry's shelf key in this list. */
  shelf: string;
  /** The field naming what an entry points at, for `among`. */
  to: keyof T & string;
  projection?: Record<string, 1>;
  /** How many entries of all owners are kept, weighed by `size`. */
  budget: number;
  /** The longest list read and kept whole; a longer one is read by shelves (default `sizes.maxEntries`). */
  maxWhole?: () => number;
  size?: (entry: T) => number;
}

export interface OwnerLists<T extends Entry> {
  /** The owner's entries, newest first; undefined for an owner with too many to keep. */
  get(owner: number): Promise<readonly T[] | undefined>;
  page(owner: number, cursor: ListCursor): Promise<ListPage<T>>;
  /** Which of `values` the owner's entries point at. */
  among(owner: number, values: readonly number[]): Promise<Set<number>>;
  /** Whether one of the owner's entries points at `value`, without loading a list not in memory. */
  has(owner: number, value: number): Promise<boolean>;
  /** The same from a list in memory only: undefined when the owner's list is not kept. */
  peek(owner: number, value: number): boolean | undefined;
  /** The shelf key of the owner's new entry `id`. */
  shelfKey(owner: number, id: number): Promise<string>;
  /** An entry of the owner was stored: now and then its newest shelf is counted (shelves.ts). */
  added(owner: number): void;
  /** Drops what is kept of the owner: its whole list, and the shelves named in `shelves` (all it read when absent). */
  forget(owner: number, shelves?: readonly string[]): void;
  forgetAll(): void;
}

type Kept<T> = { entries: readonly T[] | undefined };

export function ownerLists<T extends Entry>(spec: Spec<T>): OwnerLists<T> {
  const size = spec.size ?? (() => 1);
  const maxWhole = spec.maxWhole ?? (() => sizes.maxEntries);
  // Whole lists under `owner`, shelves under `owner:k`: one budget for both.
  const kept = new LRUCache<string, Kept<T>>({
    maxSize: spec.budget,
    sizeCalculation: ({ entries }) => 1 + (entries?.reduce((sum, entry) => sum + size(entry), 0) ?? 0),
    ttl: OWNER_LIST_TTL_MS,
  });
  const loading = new Map<string, Promise<readonly T[] | undefined>>();
  const shelvesRead = new Map<number, Set<string>>();
  const counts = new LRUCache<number, number>({ max: 100_000 });

  const inList = (entries: readonly T[], values: readonly number[]) => {
    const present = valuesOf(entries, spec.to);
    return new Set(values.filter((value) => present.has(value)));
  };
  const query = async (owner: number, values: readonly number[]) => {
    const found = await findIn<T>(spec.model, spec.to, values, { [spec.to]: 1 }, { [spec.owner]: owner });
    return new Set(found.map((entry) => entry[spec.to] as number));
  };
  const pageQuery = (owner: number, cursor: ListCursor) => {
    const filter = cursor.before === undefined ? { [spec.owner]: owner } : { [spec.owner]: owner, _id: { $lt: cursor.before } };
    return spec.model.find(filter, spec.projection && { ...spec.projection, [spec.shelf]: 1 }).sort({ _id: -1 }).limit(cursor.limit).lean<T[]>();
  };
  const shelfQuery = (owner: number, k: number) =>
    spec.model.find({ [spec.shelf]: `${owner}:${k}` }, spec.projection).lean<T[]>().then((entries) => entries.sort((a, b) => b._id - a._id));

  /** Loads `name` once however many ask at once; a write that forgot it meanwhile keeps the result out. */
  function load(name: string, read: () => Promise<T[]>, keep: (loaded: T[]) => readonly T[] | undefined): Promise<readonly T[] | undefined> {
    const found = kept.get(name);
    if (found) return Promise.resolve(found.entries);
    const inFlight = loading.get(name);
    if (inFlight) return inFlight;
    const pending = read().then(
      (loaded) => {
        const entries = keep(loaded);
        if (loading.get(name) === pending) {
          loading.delete(name);
          kept.set(name, { entries });
        }
        return entries;
      },
      (error: unknown) => {
        if (loading.get(name) === pending) loading.delete(name);
        throw error;
      },
    );
    loading.set(name, pending);
    return pending;
  }

  async function get(owner: number): Promise<readonly T[] | undefined> {
    const froms = await shelvesOf(spec.list, owner);
    if (froms && (froms.length + 1) * sizes.shelf > maxWhole()) return undefined;
    return load(String(owner), () => pageQuery(owner, { limit: maxWhole() + 1 }), (loaded) => {
      // Entries stored without a shelf (by an older version, behind the server's back) keep an owner unshelved.
      const shelvable = loaded.every((entry) => (entry as Record<string, unknown>)[spec.shelf] !== undefined);
      if (!froms && loaded.length >= shelveAt() && shelvable) void beginShelf(spec.list, owner, 1).catch(() => undefined);
      return loaded.length > maxWhole() ? undefined : Object.freeze(loaded);
    });
  }

  async function shelf(owner: number, k: number, open: boolean): Promise<readonly T[]> {
    const name = `${owner}:${k}`;
    if (!shelvesRead.has(owner)) shelvesRead.set(owner, new Set());
    shelvesRead.get(owner)!.add(name);
    const entries = await load(name, () => shelfQuery(owner, k), (loaded) => Object.freeze(loaded));
    if (open && entries!.length >= sizes.shelf) void beginShelf(spec.list, owner, k + 1).catch(() => undefined);
    return entries!;
  }

  /** Newest first from the shelf holding `before` down, until the page is full. */
  async function shelvedPage(owner: number, froms: readonly number[], cursor: ListCursor): Promise<ListPage<T>> {
    const before = cursor.before ?? Infinity;
    const found: T[] = [];
    for (let k = before === Infinity ? froms.length : shelfOf(froms, before - 1); k >= 0 && found.length < cursor.limit; k -= 1) {
      for (const entry of await shelf(owner, k, k === froms.length)) if (entry._id < before) found.push(entry);
    }
    return pageWithCursor(found.slice(0, cursor.limit), cursor.limit);
  }

  async function countNewest(owner: number): Promise<void> {
    const froms = await shelvesOf(spec.list, owner);
    if (!froms) {
      if ((await spec.model.countDocuments({ [spec.owner]: owner })) >= shelveAt()) await beginShelf(spec.list, owner, 1);
      return;
    }
    if ((await spec.model.countDocuments({ [spec.shelf]: `${owner}:${froms.length}` })) >= sizes.shelf) await beginShelf(spec.list, owner, froms.length + 1);
  }

  function forget(owner: number, shelves?: readonly string[]): void {
    const read = shelvesRead.get(owner) ?? new Set<string>();
    const names = shelves ? shelves.filter((name) => read.has(name)) : [...read];
    for (const name of [String(owner), ...names]) {
      kept.delete(name);
      loading.delete(name);
      read.delete(name);
    }
    if (read.size === 0) shelvesRead.delete(owner);
  }

  return {
    get,
    async page(owner, cursor) {
      const entries = await get(owner);
      if (entries) return pageOf(entries, cursor);
      const froms = await shelvesOf(spec.list, owner);
      if (froms) return shelvedPage(owner, froms, cursor);
      return pageWithCursor(await pageQuery(owner, cursor), cursor.limit);
    },
    async among(owner, values) {
      const entries = await get(owner);
      return entries ? inList(entries, values) : query(owner, values);
    },
    async has(owner, value) {
      // One question (the actor of a pushed event) costs less asked directly than by reading a list
      // nobody has asked for lately.
      const name = String(owner);
      const entries = kept.get(name)?.entries ?? (loading.has(name) ? await get(owner) : undefined);
      return (entries ? inList(entries, [value]) : await query(owner, [value])).has(value);
    },
    peek(owner, value) {
      const entries = kept.get(String(owner))?.entries;
      return entries && inList(entries, [value]).has(value);
    },
    shelfKey: (owner, id) => shelfKey(spec.list, owner, id),
    added(owner) {
      const count = (counts.get(owner) ?? 0) + 1;
      counts.set(owner, count % COUNT_EVERY);
      if (count === COUNT_EVERY) void countNewest(owner).catch(() => undefined);
    },
    forget,
    forgetAll() {
      kept.clear();
      loading.clear();
      shelvesRead.clear();
    },
  };
}

/** One page of a newest-first list: the entries older than the cursor. */
export function pageOf<T extends Entry>(entries: readonly T[], cursor: ListCursor): ListPage<T> {
  const start = cursor.before === undefined ? 0 : firstOlder(entries, cursor.before);
  return pageWithCursor(entries.slice(start, start + cursor.limit), cursor.limit);
}

/** A full page's last id is the next page's cursor. */
function pageWithCursor<T extends Entry>(entries: T[], limit: number): ListPage<T> {
  return { entries, nextCursor: entries.length === limit ? entries.at(-1)!._id : 0 };
}

/** Index of the first entry with an id below `id` in a list sorted by id, descending. */
function firstOlder(entries: readonly Entry[], id: number): number {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (entries[middle]!._id < id) high = middle;
    else low = middle + 1;
  }
  return low;
}

const sets = new WeakMap<readonly Entry[], Set<number>>();

/** The values of `field` over a kept list (each kind of list is asked about one field), built once per list. */
function valuesOf<T extends Entry>(entries: readonly T[], field: keyof T & string): Set<number> {
  let set = sets.get(entries);
  if (!set) {
    set = new Set(entries.map((entry) => entry[field] as number));
    sets.set(entries, set);
  }
  return set;
}
