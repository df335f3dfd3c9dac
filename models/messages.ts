import { Refusal } from './errors.js';
import { domainEvents, type MessageRecord, type Origin } from './events.js';
import { idFloor, idTime, nextId } from './ids.js';
import { fileHour, hourOf, hoursOf, walkHours } from './hour-index.js';
import { findAny } from './lookups.js';
import { fileMessageHours, hourKeysOf, Message, pairHours, pairKey, userHours, type MessageDoc } from './message.js';
import { areFriends } from './relations.js';
import { setEach } from './upgrades.js';
import { userExists } from './users.js';
import type { MessageView } from './views.js';
import { batchedInserts } from './write-batch.js';
import { sending } from './write-behind.js';

const insertMessage = batchedInserts<MessageDoc & { _id: number }>(Message);

export interface SendOptions {
  /** Refuse unless the two follow each other (off by default: the app's suite messages before that). */
  requireFriendship: boolean;
  /** The client's id for this message: a retry with the same id returns the original and sends nothing. */
  clientMsgId?: string | undefined;
  origin?: Origin;
}

/** The refusals of sending a message to `otherId`; read marks and typing follow the same rule. */
export async function checkChatRule(userId: number, otherId: number, requireFriendship: boolean): Promise<void> {
  if (userId === otherId) throw new Refusal('CANNOT_MESSAGE_SELF');
  if (!(await userExists(otherId))) throw new Refusal('USER_NOT_FOUND');
  if (requireFriendship && !(await areFriends(userId, otherId))) throw new Refusal('FRIENDS_ONLY');
}

/** Persists a message, then reports it; `created` is false when a retry found the original. */
export async function sendMessage(
  fromUserId: number,
  toUserId: number,
  content: string,
  options: SendOptions,
): Promise<{ message: MessageRecord; created: boolean }> {
  await checkChatRule(fromUserId, toUserId, options.requireFriendship);
  const dedupeKey = options.clientMsgId === undefined ? undefined : `${fromUserId}:${options.clientMsgId}`;

  const pair = pairKey(fromUserId, toUserId);
  // Messages of one conversation get distinct milliseconds, so polling with pre_msg_time never skips one.
  for (let createdAt = Date.now(); ; createdAt += 1) {
    const id = nextId(); // taken in the turn the message joins its generation (write-behind.ts)
    const hour = hourOf(createdAt);
    const doc = { _id: id, fromUserId, toUserId, pair, content, createdAt, hour, ...(dedupeKey && { dedupeKey }) };
    // The conversation's summary (its latest message, for the friend list) is written behind.
    const latest = { pair, message: { id, fromUserId, content } };
    // Filed as the message is stored: readers read the hours around now whether filed or not, and the
    // summary (which unread counts go by) moves once both are stored. What a failure leaves
    // half-done, the generation's fold (or a recovery) finishes from the store, once both have settled.
    const store = async (g: number) => {
      const stored = insertMessage({ ...doc, g });
      const filed = fileMessageHours(doc);
      await Promise.allSettled([stored, filed]);
      await filed;
      return (await stored) === 'inserted';
    };
    if (await sending(latest, store)) {
      const message = { id, fromUserId, toUserId, content, createdAt };
      domainEvents.emit('message:created', { message, origin: options.origin ?? {} });
      return { message, created: true };
    }
    // A retry of a message already sent (same client_msg_id), or another message of the pair in the same millisecond.
    const original = dedupeKey && (await Message.findOne({ dedupeKey }).lean());
    if (original) return { message: toRecord(original), created: false };
  }
}

export interface HistoryPage {
  /** Only messages created strictly after this time (epoch ms): the app's pre_msg_time polling. */
  after?: number | undefined;
  limit: number;
}

/**
 * Messages between two users, oldest first. With `after`, the oldest `limit` messages after it (polling,
 * or paging forward); without, the latest `limit` messages (opening a chat). Read hour by hour.
 */
export async function chatHistory(userId: number, otherId: number, page: HistoryPage): Promise<MessageRecord[]> {
  if (!(await userExists(otherId))) throw new Refusal('USER_NOT_FOUND');
  const pair = pairKey(userId, otherId);
  const { after, limit } = page;
  const enough = (found: readonly MessageDoc[]) => found.length >= limit;
  if (after !== undefined) {
    const hours = await hoursOf(pairHours(pair), hourOf(after), 'oldest first');
    const read = async (batch: number[]) => (await inHours(batch, [{ pair }])).filter((doc) => doc.createdAt > after).sort(byTime);
    return (await walkHours(hours, read, enough)).slice(0, limit).map(toRecord);
  }
  const hours = await hoursOf(pairHours(pair), Infinity, 'newest first');
  const read = async (batch: number[]) => (await inHours(batch, [{ pair }])).sort(byTime).reverse();
  return (await walkHours(hours, read, enough)).slice(0, limit).reverse().map(toRecord);
}

/**
 * How far back a catch-up looks before the last id a client has. A message's id is taken from its
 * node's clock before the message is stored, so a message can land after one with a larger id (a
 * slower insert, or a node whose clock is slightly behind). Such late arrivals within this window are
 * sent again with the next page; clients de-duplicate by id.
 */
export const LATE_ARRIVAL_MS = 5_000;
const LATE_ARRIVAL_CAP = 200;

/** The id a catch-up after `afterId` reads from: LATE_ARRIVAL_MS earlier (0 from the beginning). */
export function lateArrivalFloor(afterId: number): number {
  return Math.min(afterId, idFloor(idTime(afterId) - LATE_ARRIVAL_MS));
}

export interface SyncPage {
  /** Only this conversation; all of the user's messages when undefined. */
  withUserId?: number | undefined;
  afterId: number;
  limit: number;
}

/**
 * Everything sent to or from `userId` after message `afterId`, oldest first, for a client catching up
 * after being offline. `hasMore`: ask again from the last id received. Three round trips at most.
 */
export async function syncMessages(userId: number, page: SyncPage): Promise<{ messages: MessageRecord[]; hasMore: boolean }> {
  const [key, mine] = page.withUserId === undefined
    ? [userHours(userId), [{ toUserId: userId }, { fromUserId: userId }]]
    : [pairHours(pairKey(userId, page.withUserId)), [{ pair: pairKey(userId, page.withUserId) }]];
  const lookback = lateArrivalFloor(page.afterId);
  const hours = await hoursOf(key, hourOf(idTime(lookback)), 'oldest first');
  const read = async (batch: number[]) => (await inHours(batch, mine)).filter((doc) => doc._id > lookback).sort((a, b) => a._id - b._id);
  const found = await walkHours(hours, read, (docs) => docs.filter((doc) => doc._id > page.afterId).length > page.limit);
  const late = found.filter((doc) => doc._id <= page.afterId).slice(0, LATE_ARRIVAL_CAP);
  const fresh = found.filter((doc) => doc._id > page.afterId);
  return { messages: [...late, ...fresh.slice(0, page.limit)].map(toRecord), hasMore: fresh.length > page.limit };
}

/** The messages of these hours that match any of `filters`: one equality query per hour and filter on FerretDB. */
function inHours(hours: number[], filters: ReadonlyArray<Record<string, unknown>>): Promise<MessageDoc[]> {
  return findAny<MessageDoc>(Message, filters.flatMap((filter) => hours.map((hour) => ({ ...filter, hour }))));
}

const byTime = (a: MessageDoc, b: MessageDoc) => a.createdAt - b.createdAt;

/** Files the messages stored before conversations had hours; idempotent. */
export async function fileUnfiledMessages(): Promise<void> {
  const unfiled = await Message.find({ hour: { $exists: false } }, { pair: 1, fromUserId: 1, toUserId: 1, createdAt: 1 }).lean();
  const keys = new Map<string, [string, number]>();
  for (const doc of unfiled) {
    const hour = hourOf(doc.createdAt);
    for (const key of hourKeysOf(doc)) keys.set(`${key}:${hour}`, [key, hour]);
  }
  for (const [key, hour] of keys.values()) await fileHour(key, hour);
  await setEach(Message, unfiled.map((doc) => ({ _id: doc._id, set: { hour: hourOf(doc.createdAt) } })));
}

export function messageView(message: MessageRecord): MessageView {
  return {
    id: message.id,
    to_user_id: message.toUserId,
    from_user_id: message.fromUserId,
    content: message.content,
    create_time: String(message.createdAt),
  };
}

function toRecord(doc: MessageDoc): MessageRecord {
  return { id: doc._id, fromUserId: doc.fromUserId, toUserId: doc.toUserId, content: doc.content, createdAt: doc.createdAt };
}
