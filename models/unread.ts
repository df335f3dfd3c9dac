import { LRUCache } from 'lru-cache';
import { HOUR_MS, HourEntry, hourOf } from './hour-index.js';
import { idTime } from './ids.js';
import { findAny, findIn } from './lookups.js';
import { Message, pairHours, pairKey } from './message.js';
import { bulkWrite } from './write-batch.js';

/**
 * Unread counts without counting histories. Every message is filed under its conversation's hour
 * (hour-index.ts); once an hour is over nothing lands in it any more (messages are never deleted),
 * so its count of messages per recipient is written on its directory entry (`n`) the first time
 * anyone needs it, once for all processes and for good. An unread count is then: the messages after
 * the read position in its own hour (and the one before, for ids stamped near an hour's end), the
 * counts of the closed hours after it, and the messages of its open hours. A request reads at most
 * a few hours of one conversation, which the per-user message limit bounds, and one directory entry
 * per hour the conversation has messages in; never its history.
 */

/** An hour is closed this long after its end: late inserts (a slow batch, a write past its deadline) land before. */
const CLOSE_AFTER_MS = 10 * 60_000;

export interface UnreadQuery {
  readerId: number;
  peerId: number;
  /** The read position: messages from the peer with a larger id are unread. */
  readId: number;
  /** The conversation's latest message, when known: a count is then kept a while for the same position and latest message. */
  latestId?: number;
}

/**
 * Counts kept for RECENT_MS by reader, peer, read position and latest message: a friend list polled
 * every few seconds counts a conversation again only when a message arrives or the reader reads.
 * Messages are never deleted, so a count changes for the same four only when a message stored late
 * (its write slower than a later one's) lands among them: it shows within RECENT_MS.
 */
const RECENT_MS = 10_000;
const recent = new LRUCache<string, number>({ max: 50_000, ttl: RECENT_MS });
const recentKey = (query: UnreadQuery) => `${query.readerId}:${query.peerId}:${query.readId}:${query.latestId}`;

/** Forgets the counts kept (a test measuring cold caches). */
export function forgetUnreadCounts(): void {
  recent.clear();
}

interface HourDoc {
  _id: string;
  key: string;
  hour: number;
  /** Messages of the hour per recipient, once the hour is closed. */
  n?: Record<string, number>;
}

type Counted = Pick<import('./message.js').MessageDoc, 'toUserId' | 'hour' | 'pair'> & { _id: number };

const isClosed = (hour: number, now: number) => (hour + 1) * HOUR_MS + CLOSE_AFTER_MS <= now;

/**
 * Unread messages of each conversation, by peer. Two round trips for any number of conversations: their
 * hour entries, then the hours that must be read message by message (the read position's, the open
 * ones, and a closed hour after the position that has no count yet, once per hour, ever). The entries
 * are complete for every message its conversation's latest has reached: a message's hour is filed
 * before its write answers and its conversation's latest message moves (or, when the write failed, by
 * the fold that settles it), so an hour without an entry is not read.
 */
export async function unreadCounts(queries: readonly UnreadQuery[]): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  const counting: UnreadQuery[] = [];
  for (const query of queries) {
    const kept = query.latestId === undefined ? undefined : recent.get(recentKey(query));
    counts.set(query.peerId, kept ?? 0);
    if (kept === undefined) counting.push(query);
  }
  if (counting.length === 0) return counts;
  const now = Date.now();
  const pairs = counting.map((query) => ({ query, pair: pairKey(query.readerId, query.peerId) }));
  const entries = groupBy(await findIn<HourDoc>(HourEntry, 'key', pairs.map(({ pair }) => pairHours(pair))), (entry) => entry.key);
  const plans = pairs.map(({ query, pair }) => plan(query, pair, entries.get(pairHours(pair)) ?? [], now));
  const byHour = await readHours(plans.flatMap((p) => p.read.map((hour) => ({ pair: p.pair, hour }))));
  const closing: Array<{ id: string; n: Record<string, number> }> = [];
  for (const p of plans) {
    let unread = p.counted;
    for (const hour of p.read) {
      const found = byHour.get(`${p.pair}:${hour}`) ?? [];
      unread += found.filter((doc) => doc.toUserId === p.query.readerId && doc._id > p.query.readId).length;
      if (p.toClose.has(hour)) closing.push({ id: `${pairHours(p.pair)}:${hour}`, n: perRecipient(p.pair, found) });
    }
    counts.set(p.query.peerId, unread);
    if (p.query.latestId !== undefined) recent.set(recentKey(p.query), unread);
  }
  if (closing.length > 0) void closeHours(closing).catch(() => undefined); // counted again next time
  return counts;
}

/** The messages of these hours of these conversations, by `pair:hour`. */
async function readHours(hours: ReadonlyArray<{ pair: string; hour: number }>): Promise<Map<string, Counted[]>> {
  const docs = await findAny<Counted>(Message, hours, { _id: 1, toUserId: 1, hour: 1, pair: 1 });
  return groupBy(docs, (doc) => `${doc.pair}:${doc.hour}`);
}

/**
 * Which hours of a conversation to read, and what the closed ones after the read position add. The
 * read position's hour and the one before are read (an id is stamped just before its message's time,
 * which may fall in the next hour), as are hours not closed yet and closed ones without a count.
 */
function plan(query: UnreadQuery, pair: string, entries: readonly HourDoc[], now: number) {
  const from = query.readId === 0 ? -Infinity : hourOf(idTime(query.readId)) - 1;
  const read: number[] = [];
  const toClose = new Set<number>();
  let counted = 0;
  for (const { hour, n } of entries) {
    if (hour < from) continue;
    const closed = isClosed(hour, now);
    if (closed && !n) toClose.add(hour); // counted only from a full read of the hour
    if (closed && n && hour > from + 1) counted += n[String(query.readerId)] ?? 0;
    else read.push(hour);
  }
  return { query, pair, read, toClose, counted };
}

function perRecipient(pair: string, docs: readonly Counted[]): Record<string, number> {
  const n = Object.fromEntries(pair.split(':').map((id) => [id, 0]));
  for (const doc of docs) n[String(doc.toUserId)] = (n[String(doc.toUserId)] ?? 0) + 1;
  return n;
}

/** Writes the counts of hours that are over on their entries: the same numbers whoever writes them. */
async function closeHours(closing: ReadonlyArray<{ id: string; n: Record<string, number> }>): Promise<void> {
  await bulkWrite(HourEntry, closing.map(({ id, n }) => ({ updateOne: { filter: { _id: id }, update: { $set: { n } } } })));
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(key(item));
    if (group) group.push(item);
    else groups.set(key(item), [item]);
  }
  return groups;
}
