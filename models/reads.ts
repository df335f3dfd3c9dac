import { cachedConversations, forget } from './caches.js';
import { domainEvents, type Origin } from './events.js';
import { moveForward } from './forward-only.js';
import { inTurn } from './in-turn.js';
import { checkChatRule } from './messages.js';
import { Conversation, pairKey, pairUsers, readIdOf, type ConversationDoc, type ReadPosition } from './message.js';
import { unreadCounts } from './unread.js';
import { betweenFolds, pendingPairsOf } from './write-behind.js';

export interface ReadOptions {
  /** The chat rule of sending: read-marking needs the same friendship. */
  requireFriendship: boolean;
  origin?: Origin;
}

/**
 * `readerId` has read every message from `peerId` up to `upToId` (clamped to the conversation's latest
 * message). The position only moves forward; when it moves, `message:read` is reported. Answers the
 * reader's unread messages over all conversations.
 */
export async function markRead(readerId: number, peerId: number, upToId: number, options: ReadOptions): Promise<number> {
  await checkChatRule(readerId, peerId, options.requireFriendship);
  const pair = pairKey(readerId, peerId);
  const latest = (await cachedConversations([pair])).get(pair)?.latest as { id: number } | undefined;
  const upTo = Math.min(upToId, latest?.id ?? 0);
  const moved = upTo > 0 && (await inTurn(`read:${readerId}:${pair}`, () => moveReadForward(readerId, pair, upTo)));
  if (moved) domainEvents.emit('message:read', { readerId, peerId, upToId: upTo, readTime: moved.at, origin: options.origin ?? {} });
  return unreadTotal(readerId);
}

/**
 * Writes the position with `$max` on the conversation's summary; false when it was already there or
 * further. Between folds: the fold writes the same document (its latest message), and FerretDB's
 * updates are read-modify-write, so two at once could lose one.
 */
async function moveReadForward(readerId: number, pair: string, upTo: number): Promise<false | { at: number }> {
  const known = await Conversation.findById(pair, { read: 1 }).lean<ConversationDoc>();
  if (readIdOf(known ?? undefined, readerId) >= upTo) return false;
  const position: ReadPosition = { id: upTo, at: Date.now() };
  const [a, b] = pairUsers(pair);
  const update = { $max: { [`read.${readerId}`]: position }, $set: { a, b } };
  await moveForward(
    () => betweenFolds(() => Conversation.collection.updateOne({ _id: pair } as never, update, { upsert: true })),
    async () => readIdOf((await Conversation.findById(pair, { read: 1 }).lean<ConversationDoc>()) ?? undefined, readerId) >= upTo,
  );
  forget({ conversations: [pair] });
  return position;
}

/**
 * Unread messages of `readerId` per peer, given the conversations' latest messages and the reader's
 * positions: only conversations whose latest message is past the position are counted.
 */
export async function unreadWith(readerId: number, peers: ReadonlyArray<{ peerId: number; latestId: number; readId: number }>): Promise<Map<number, number>> {
  const counting = peers.filter((peer) => peer.latestId > peer.readId).map((peer) => ({ readerId, ...peer }));
  const counts = await unreadCounts(counting);
  return new Map(peers.map((peer) => [peer.peerId, counts.get(peer.peerId) ?? 0]));
}

/** Unread messages of `readerId` over all their conversations. */
export async function unreadTotal(readerId: number): Promise<number> {
  const [asA, asB] = await Promise.all([
    Conversation.find({ a: readerId }, { _id: 1 }).lean<Array<{ _id: string }>>(),
    Conversation.find({ b: readerId }, { _id: 1 }).lean<Array<{ _id: string }>>(),
  ]);
  const pairs = [...new Set([...asA, ...asB].map((doc) => doc._id).concat(pendingPairsOf(readerId)))];
  const conversations = await cachedConversations(pairs);
  const peers = pairs.map((pair) => {
    const conversation = conversations.get(pair);
    const latestId = (conversation?.latest as { id: number } | undefined)?.id ?? 0;
    return { peerId: pairUsers(pair).find((id) => id !== readerId)!, latestId, readId: readIdOf(conversation, readerId) };
  });
  let total = 0;
  for (const count of (await unreadWith(readerId, peers)).values()) total += count;
  return total;
}

/** Conversations stored before they named their two users get them (for unread totals); idempotent. */
export async function nameConversationUsers(): Promise<void> {
  const unnamed = await Conversation.find({ a: { $exists: false } }, { _id: 1 }).lean<Array<{ _id: string }>>();
  for (const { _id } of unnamed) {
    const [a, b] = pairUsers(_id);
    await Conversation.collection.updateOne({ _id } as never, { $set: { a, b } });
  }
}
