import { EventEmitter } from 'node:events';
import DataLoader from 'dataloader';
import { LRUCache } from 'lru-cache';
import type { Model } from 'mongoose';
import { videosBefore } from './feed-hours.js';
import { forgetHours } from './hour-index.js';
import { forgetUnreadCounts } from './unread.js';
import { commentsOf, commentsReceivedBy, followeesOf, followersOf, likesOf, likesReceivedBy } from './lists.js';
import { findIn } from './lookups.js';
import { Conversation, type ConversationDoc } from './message.js';
import { OWNER_LIST_TTL_MS } from './owner-lists.js';
import { User, type UserDoc } from './user.js';
import { Video, type VideoDoc } from './video.js';
import { countedRead } from './fold-gate.js';
import { sharingEvents, storeLooksShared } from './ids.js';
import { pendingLatest, type Changes as WriteBehindChanges } from './write-behind.js';

/**
 * Read caches for the hot paths: user and video records and the newest page of the feed, and the
 * owners' lists of lists.ts (which live longer: owner-lists.ts). A write forgets what it changed at
 * once on the process that made it, and `cacheEvents` lets other processes forget it too
 * (server/cache-relay.ts carries it over Redis), so a reader elsewhere sees the write within a Redis
 * hop. Records live HEARD_TTL_MS while every change to them is heard of (see `changesHeard`), and
 * CACHE_TTL_MS otherwise (processes sharing a store without Redis: the others' changes show once they
 * fold them and the entry expires). The feed's head lives CACHE_TTL_MS. Concurrent misses are
 * coalesced: one query answers every request waiting for the same records.
 */
export const CACHE_TTL_MS = 1_000;
/** Not longer than write-behind's HISTORY_MS: a record must not outlive the folds it is shown with. */
export const HEARD_TTL_MS = 20_000;

/** Whether this process hears through Redis what the others change (cache-relay.ts says). */
let relayListening = false;

/**
 * Every change to a record is heard of here when no other process writes to the store, or when the
 * others' changes arrive through the relay.
 */
function changesHeard(): boolean {
  return relayListening || !storeLooksShared();
}

// Records cached while this process was alone are dropped once another one writes to the store too
// (noticed within ids.SHARING_CHECK_MS, before that one folds its first changes).
sharingEvents.on('joined', () => forgetRecords());

/** The relay started or stopped hearing the other processes; what was cached may have missed a change. */
export function hearingOthers(listening: boolean): void {
  if (relayListening && !listening) forgetRecords();
  relayListening = listening;
}

function forgetRecords(): void {
  users.loader.clearAll();
  videos.loader.clearAll();
}

/** What a write changed, as far as the caches are concerned. */
export interface Changes {
  users?: readonly number[];
  videos?: readonly number[];
  /** The follow edge [follower, followee] changed. */
  pair?: readonly [number, number];
  /** Users whose likes changed. */
  likes?: readonly number[];
  /** Videos whose comments changed. */
  comments?: readonly number[];
  /** Authors whose received likes, and received comments, changed (their inboxes). */
  liked?: readonly number[];
  commented?: readonly number[];
  /**
   * The shelves (`<owner>:<k>`, shelves.ts) of the lists above that hold the entries changed: only those
   * are forgotten of a popular owner, not every shelf read (absent: all of them).
   */
  shelves?: readonly string[];
  /** Conversations (pair keys) with a new latest message or read position. */
  conversations?: readonly string[];
  /** A video was published. */
  published?: boolean;
  /** Changes to counters a write made, written behind: other processes add them to their views until... */
  counted?: { generation: number } & WriteBehindChanges;
  /** ... the generation they belong to is folded into the store. */
  folded?: number;
}

/** The shelves an entry removed was in; none (every shelf read is forgotten) for an entry stored without them. */
export function heldIn(...shelves: ReadonlyArray<string | undefined>): Pick<Changes, 'shelves'> {
  return shelves.every((shelf) => shelf !== undefined) ? { shelves: shelves as string[] } : {};
}

export const cacheEvents = new EventEmitter<{ forgotten: [Changes] }>();

/**
 * DataLoader scheduling with at most one query of a loader in flight: keys asked meanwhile wait and go
 * together in the next one. A storm of misses (thousands of sockets connecting) then costs a few large
 * queries instead of one per key, which matters where lookups scan (FerretDB on SQLite).
 */
function oneQueryAtATime() {
  let inFlight: Promise<unknown> = Promise.resolve();
  return {
    batchScheduleFn: (dispatch: () => void) => void inFlight.finally(() => setImmediate(dispatch)),
    track<T>(query: Promise<T>): Promise<T> {
      inFlight = query.catch(() => undefined);
      return query;
    },
  };
}

/** DataLoader's cache map over an LRU whose entries each live `ttl()` from when they are set. */
function expiringMap<K extends {}, V extends {}>(ttl: () => number) {
  const entries = new LRUCache<K, V>({ max: 50_000, ttl: CACHE_TTL_MS });
  return {
    get: (key: K) => entries.get(key),
    set: (key: K, value: V) => entries.set(key, value, { ttl: ttl() }),
    delete: (key: K) => entries.delete(key),
    clear: () => entries.clear(),
  };
}

const recordTtl = () => (changesHeard() ? HEARD_TTL_MS : CACHE_TTL_MS);

/** Records of one collection by id, missing ones absent; misses cost one round trip for any number of ids. */
function recordsById<T extends { _id: K }, K extends number | string = number>(model: Model<any>, { ttl = recordTtl, counted = false }: { ttl?: () => number; counted?: boolean } = {}) {
  const queries = oneQueryAtATime();
  const loader = new DataLoader<K, T | null>(async (ids) => {
    const find = () => findIn<T>(model, '_id', ids);
    const docs = await queries.track(counted ? countedRead(find) : find());
    const byId = new Map(docs.map((doc) => [doc._id, doc]));
    return ids.map((id) => byId.get(id) ?? null);
  }, {
    batchScheduleFn: queries.batchScheduleFn,
    cacheMap: expiringMap<K, Promise<T | null>>(ttl),
  });
  async function get(ids: readonly K[]): Promise<Map<K, T>> {
    const docs = await loader.loadMany(ids);
    const found = new Map<K, T>();
    docs.forEach((doc, i) => {
      if (doc instanceof Error) throw doc;
      if (doc) found.set(ids[i]!, doc);
    });
    return found;
  }
  return { get, loader };
}

const users = recordsById<UserDoc>(User, { counted: true });
const videos = recordsById<VideoDoc>(Video, { counted: true });
export const cachedUsers = users.get;
/** Video records by id; their counters with the changes not folded yet (fold-gate.ts, write-behind.ts). */
export const cachedVideos = videos.get;
/** Conversations (the latest message of each) by pair key; they change with every message, which forgets them. */
const conversations = recordsById<ConversationDoc, string>(Conversation, { ttl: () => OWNER_LIST_TTL_MS });

/** The latest message of each conversation, with what this process sent and has not written behind yet. */
export async function cachedConversations(pairs: readonly string[]): Promise<Map<string, ConversationDoc>> {
  const stored = await conversations.get(pairs);
  for (const pair of pairs) {
    const pending = pendingLatest(pair);
    // Conversations stored before `latest` existed have none.
    const storedId = (stored.get(pair)?.latest as { id: number } | undefined)?.id ?? 0;
    if (pending && pending.id > storedId) stored.set(pair, { ...stored.get(pair), _id: pair, latest: pending });
  }
  return stored;
}

/** The subset of `userIds` that `viewerId` follows. */
export async function cachedFollowed(viewerId: number | undefined, userIds: readonly number[]): Promise<Set<number>> {
  if (viewerId === undefined || userIds.length === 0) return new Set();
  return followeesOf.among(viewerId, userIds);
}

export interface FeedHead {
  /** When the query started: every video published before then and newer than the last one is here. */
  loadedAt: number;
  docs: VideoDoc[];
}

/**
 * How many of the newest videos the feed keeps: the pages people scroll through come from memory,
 * reloaded at most once per CACHE_TTL_MS whatever the traffic (from the newest hours, hour-index.ts).
 */
export const FEED_HEAD_SIZE = 300;

let head: { expires: number; value: Promise<FeedHead> } | undefined;

/** The newest FEED_HEAD_SIZE videos of everyone. */
export function cachedFeedHead(): Promise<FeedHead> {
  const now = Date.now();
  if (!head || head.expires <= now) {
    const entry = { expires: now + CACHE_TTL_MS, value: loadFeedHead(FEED_HEAD_SIZE, now) };
    entry.value.catch(() => {
      if (head === entry) head = undefined;
    });
    head = entry;
  }
  return head.value;
}

async function loadFeedHead(size: number, loadedAt: number): Promise<FeedHead> {
  return { loadedAt, docs: await videosBefore(Infinity, size) };
}

/**
 * Drops what `changes` made stale here and tells the other processes (unless it came from them).
 * `elsewhereOnly`: only tell the others (a fold of counters: records here know which folds they hold).
 */
export function forget(changes: Changes, { relayed = false, elsewhereOnly = false } = {}): void {
  if (elsewhereOnly) {
    cacheEvents.emit('forgotten', changes);
    return;
  }
  changes.users?.forEach((id) => users.loader.clear(id));
  changes.videos?.forEach((id) => videos.loader.clear(id));
  if (changes.pair) {
    followeesOf.forget(changes.pair[0], changes.shelves);
    followersOf.forget(changes.pair[1], changes.shelves);
  }
  changes.likes?.forEach((id) => likesOf.forget(id, changes.shelves));
  changes.comments?.forEach((id) => commentsOf.forget(id, changes.shelves));
  changes.liked?.forEach((id) => likesReceivedBy.forget(id, changes.shelves));
  changes.commented?.forEach((id) => commentsReceivedBy.forget(id, changes.shelves));
  changes.conversations?.forEach((pair) => conversations.loader.clear(pair));
  if (changes.published || changes.videos?.length) head = undefined;
  if (!relayed) cacheEvents.emit('forgotten', changes);
}

/** Empties every cache of this process (the worst case, for measuring round trips). */
export function forgetEverything(): void {
  users.loader.clearAll();
  videos.loader.clearAll();
  conversations.loader.clearAll();
  for (const lists of [likesOf, followeesOf, followersOf, commentsOf, likesReceivedBy, commentsReceivedBy]) lists.forgetAll();
  forgetHours();
  forgetUnreadCounts();
  head = undefined;
}
