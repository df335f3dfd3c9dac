import { LRUCache } from 'lru-cache';
import type { Model } from 'mongoose';
import { findIn } from './lookups.js';

/**
 * Owners' whole lists in memory, newest first: a user's likes, whom a user follows, a user's followers,
 * a video's comments. FerretDB cannot page a list (it applies sort and limit in Go to every entry the
 * owner has), so every page used to read all of the owner's entries; here they are read once, with
 * one equality query, and every page, flag and friendship test of that owner is answered from memory.
 *
 * A write forgets the owners it changed at once on its process and, through `cacheEvents` and Redis,
 * on the others; writes behind the server's back (a shell, a recount) are seen within OWNER_LIST_TTL_MS.
 * Owners with more than OWNER_LIST_MAX_ENTRIES entries are not kept: their pages and flags are queried.
 */
export const OWNER_LIST_TTL_MS = 30_000;
export const OWNER_LIST_MAX_ENTRIES = 10_000;


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
  model: Model<any>;
  /** The field naming the owner. */
  owner: string;
  /** The field naming what an entry points at, for `among`. */
  to: keyof T & string;
  projection?: Record<string, 1>;
  /** How many entries of all owners are kept, weighed by `size`. */
  budget: number;
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
  forget(owner: number): void;
  forgetAll(): void;
}

export function ownerLists<T extends Entry>(spec: Spec<T>): OwnerLists<T> {
  const size = spec.size ?? (() => 1);
  const kept = new LRUCache<number, { entries: readonly T[] | undefined }>({
    maxSize: spec.budget,
    sizeCalculation: ({ entries }) => 1 + (entries?.reduce((sum, entry) => sum + size(entry), 0) ?? 0),
    ttl: OWNER_LIST_TTL_MS,
  });
  const loading = new Map<number, Promise<readonly T[] | undefined>>();

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
    return spec.model.find(filter, spec.projection).sort({ _id: -1 }).limit(cursor.limit).lean<T[]>();
  };

  function get(owner: number): Promise<readonly T[] | undefined> {
    const found = kept.get(owner);
    if (found) return Promise.resolve(found.entries);
    return loading.get(owner) ?? startLoading(owner);
  }

  function startLoading(owner: number): Promise<readonly T[] | undefined> {
    const pending = pageQuery(owner, { limit: OWNER_LIST_MAX_ENTRIES + 1 }).then(
      (loaded) => {
        const entries = loaded.length > OWNER_LIST_MAX_ENTRIES ? undefined : Object.freeze(loaded);
        // A write that forgot this owner meanwhile may be missing from what was read: keep nothing then.
        if (loading.get(owner) === pending) {
          loading.delete(owner);
          kept.set(owner, { entries });
        }
        return entries;
      },
      (error: unknown) => {
        if (loading.get(owner) === pending) loading.delete(owner);
        throw error;
      },
    );
    loading.set(owner, pending);
    return pending;
  }

  return {
    get,
    async page(owner, cursor) {
      const entries = await get(owner);
      if (entries) return pageOf(entries, cursor);
      return pageWithCursor(await pageQuery(owner, cursor), cursor.limit);
    },
    async among(owner, values) {
      const entries = await get(owner);
      return entries ? inList(entries, values) : query(owner, values);
    },
    async has(owner, value) {
      // One question (the actor of a pushed event) costs less asked directly than by reading a list
      // nobody has asked for lately.
      const entries = kept.get(owner)?.entries ?? (loading.has(owner) ? await get(owner) : undefined);
      return (entries ? inList(entries, [value]) : await query(owner, [value])).has(value);
    },
    peek(owner, value) {
      const entries = kept.get(owner)?.entries;
      return entries && inList(entries, [value]).has(value);
    },
    forget(owner) {
      kept.delete(owner);
      loading.delete(owner);
    },
    forgetAll() {
      kept.clear();
      loading.clear();
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
