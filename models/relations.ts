import { cachedUsers } from './caches.js';
import { incrementUser, touched } from './counters.js';
import { Refusal } from './errors.js';
import { domainEvents, type Origin } from './events.js';
import { Follow, followedAmong } from './follow.js';
import { isDuplicateKey, nextId } from './ids.js';
import { inTurn } from './in-turn.js';
import { findAmong, findAny, findIn, updateEach } from './lookups.js';
import { Conversation, pairKey } from './message.js';
import { userExists, userViews } from './users.js';
import type { FriendView, UserView } from './views.js';

/** Follows (actionType 1) or unfollows (2). Idempotent: repeating either changes nothing and succeeds. */
export async function follow(followerId: number, followeeId: number, actionType: 1 | 2, origin: Origin = {}): Promise<void> {
  if (followerId === followeeId) throw new Refusal('CANNOT_FOLLOW_SELF');
  if (!(await userExists(followeeId))) throw new Refusal('USER_NOT_FOUND');
  // A follow and an unfollow of one pair at once move the counters in the order the edge changed:
  // a decrement that overtook its increment at zero would be dropped by the never-below-zero guard.
  const changed = await inTurn(`follows:${followerId}>${followeeId}`, async () => {
    const change = actionType === 1 ? await addEdge(followerId, followeeId) : await removeEdge(followerId, followeeId);
    if (!change) return undefined;
    const step = actionType === 1 ? 1 : -1;
    await Promise.all([incrementUser(followerId, 'followCount', step), incrementUser(followeeId, 'followerCount', step)]);
    return change;
  });
  if (!changed) return;
  touched({ users: [followerId, followeeId], pair: [followerId, followeeId] });
  domainEvents.emit('follow:changed', { followerId, followeeId, actionType, isFriend: changed.isFriend, origin });
}

async function addEdge(followerId: number, followeeId: number): Promise<{ isFriend: boolean } | undefined> {
  try {
    await Follow.create({ _id: nextId(), followerId, followeeId });
  } catch (error) {
    if (isDuplicateKey(error)) return undefined;
    throw error;
  }
  return { isFriend: await syncMutual(followerId, followeeId) };
}

async function removeEdge(followerId: number, followeeId: number): Promise<{ isFriend: boolean } | undefined> {
  const { deletedCount } = await Follow.deleteOne({ followerId, followeeId });
  if (deletedCount === 0) return undefined;
  return { isFriend: await syncMutual(followerId, followeeId) };
}

/**
 * Derives the pair's friendship flag from the edges as they are after our write: of two people following
 * each other at once, the later one sees the other's edge. Writes racing on one pair can still leave a
 * stale flag for a moment; the pair is re-derived once activity settles (counters.ts).
 */
async function syncMutual(a: number, b: number): Promise<boolean> {
  const edges = await findAny<{ _id: number }>(Follow, [{ followerId: a, followeeId: b }, { followerId: b, followeeId: a }], { _id: 1 });
  const mutual = edges.length === 2;
  await updateEach(Follow, edges.map((edge) => edge._id), { $set: { mutual } });
  return mutual;
}

export interface Cursor {
  /** Only entries older than this edge id (the `next_cursor` of the previous page). */
  before?: number;
  limit: number;
}

export interface UserPage {
  users: UserView[];
  /** Pass as `cursor` for the next page; 0 when this page is the last. */
  nextCursor: number;
}

/** Whom `userId` follows, most recent first, as `viewerId` sees them. */
export function followList(userId: number, cursor: Cursor, viewerId: number, mediaBase: string): Promise<UserPage> {
  return edgePage({ followerId: userId }, 'followeeId', cursor, viewerId, mediaBase);
}

/** Who follows `userId`, most recent first, as `viewerId` sees them. */
export function followerList(userId: number, cursor: Cursor, viewerId: number, mediaBase: string): Promise<UserPage> {
  return edgePage({ followeeId: userId }, 'followerId', cursor, viewerId, mediaBase);
}

async function edgePage(
  filter: Record<string, number>,
  other: 'followerId' | 'followeeId',
  cursor: Cursor,
  viewerId: number,
  mediaBase: string,
): Promise<UserPage> {
  const owner = Object.values(filter)[0]!;
  if (!(await userExists(owner))) throw new Refusal('USER_NOT_FOUND');
  const edges = await Follow.find(withCursor(filter, cursor)).sort({ _id: -1 }).limit(cursor.limit).lean();
  const views = await userViews(edges.map((edge) => edge[other]), viewerId, mediaBase);
  return {
    users: edges.flatMap((edge) => views.get(edge[other]) ?? []),
    nextCursor: edges.length === cursor.limit ? edges.at(-1)!._id : 0,
  };
}

/**
 * The viewer's friends (mutual followers), most recently followed first, each with the latest message
 * between the two and who sent it. A constant number of round trips: the friendship flags are checked
 * against the reverse edges, and the latest messages come from the conversations collection.
 */
export async function friendList(viewerId: number, cursor: Cursor, mediaBase: string): Promise<{ users: FriendView[]; nextCursor: number }> {
  const [edges, viewer] = await Promise.all([
    Follow.find(withCursor({ followerId: viewerId, mutual: true }, cursor)).sort({ _id: -1 }).limit(cursor.limit).lean(),
    cachedUsers([viewerId]).then((found) => found.get(viewerId)),
  ]);
  const candidates = edges.map((edge) => edge.followeeId);
  const followers = viewer?.followerCount ?? Infinity;
  const [followBack, views, conversations] = await Promise.all([
    findAmong<{ followerId: number }>(Follow, { followeeId: viewerId }, followers, 'followerId', candidates, { followerId: 1 }),
    userViews(candidates, viewerId, mediaBase),
    findIn<{ _id: string; latest?: unknown }>(Conversation, '_id', candidates.map((id) => pairKey(viewerId, id))),
  ]);
  const friends = new Set(followBack.map((edge) => edge.followerId));
  const latest = new Map(conversations.map((conversation) => [conversation._id, conversation]));
  const users = candidates.flatMap((id): FriendView[] => {
    const view = views.get(id);
    if (!view || !friends.has(id)) return [];
    // Conversations stored before `latest` existed have none until their next message.
    const last = latest.get(pairKey(viewerId, id))?.latest as { content: string; fromUserId: number } | undefined;
    return [{ ...view, message: last?.content ?? '', msgType: last?.fromUserId === viewerId ? 1 : 0 }];
  });
  return { users, nextCursor: edges.length === cursor.limit ? edges.at(-1)!._id : 0 };
}

export async function areFriends(a: number, b: number): Promise<boolean> {
  const [ab, ba] = await Promise.all([followedAmong(a, [b]), followedAmong(b, [a])]);
  return ab.has(b) && ba.has(a);
}

export function withCursor<F extends object>(filter: F, cursor: Cursor): F | (F & { _id: { $lt: number } }) {
  return cursor.before === undefined ? filter : { ...filter, _id: { $lt: cursor.before } };
}
