import { cachedConversations, heldIn } from './caches.js';
import { Refusal } from './errors.js';
import { domainEvents, mayListen, type Origin } from './events.js';
import { edgeHints } from './edge-hints.js';
import { Follow } from './follow.js';
import { nextId } from './ids.js';
import { inTurn } from './in-turn.js';
import { followeesOf, followersOf } from './lists.js';
import { pairKey, readIdOf } from './message.js';
import { pageOf, type ListCursor, type ListPage } from './owner-lists.js';
import { onlineAmong } from './presence.js';
import { unreadWith } from './reads.js';
import { recordAsLeft, userExists, userViews } from './users.js';
import { followAdded, withdrawn } from './notifications.js';
import type { FriendView, UserView } from './views.js';
import { batchedInserts } from './write-batch.js';
import { changing, removing, type CounterChange } from './write-behind.js';

const insertEdge = batchedInserts<EdgeDoc>(Follow);
const followsStored = edgeHints();

/** Follows (actionType 1) or unfollows (2). Idempotent: repeating either changes nothing and succeeds. */
export async function follow(followerId: number, followeeId: number, actionType: 1 | 2, origin: Origin = {}): Promise<void> {
  if (followerId === followeeId) throw new Refusal('CANNOT_FOLLOW_SELF');
  if (!(await userExists(followeeId))) throw new Refusal('USER_NOT_FOUND');
  const step = actionType === 1 ? 1 : -1;
  const counters = [
    { target: `users:${followerId}`, field: 'followCount', step },
    { target: `users:${followeeId}`, field: 'followerCount', step },
  ] as const;
  // A follow and an unfollow at once change the edge in turn.
  const changed = await inTurn(`follows:${followerId}>${followeeId}`, () =>
    actionType === 1 ? followOnce(followerId, followeeId, counters, origin) : unfollowOnce(followerId, followeeId, counters, origin));
  if (!changed || !mayListen(followeeId)) return;
  // Read after our edge is stored: of two people following each other at once, the later one sees the
  // other's edge (a list kept here knows it, or forgot it when the edge was made, here or elsewhere).
  const followedBack = async () => followersOf.peek(followerId, followeeId) ?? followeesOf.has(followeeId, followerId);
  const [isFriend, follower] = await Promise.all([actionType === 1 && followedBack(), recordAsLeft(followerId)]);
  if (follower) domainEvents.emit('follow:changed', { follower, followeeId, actionType, isFriend, origin });
}

type EdgeDoc = { _id: number; followerId: number; followeeId: number; followShelf: string; followerShelf: string };
/** An edge as stored, by this version or an older one (without shelves). */
type Removed = Pick<EdgeDoc, '_id'> & Partial<EdgeDoc>;

async function followOnce(followerId: number, followeeId: number, counters: readonly CounterChange[], origin: Origin): Promise<boolean> {
  const key = `${followerId}>${followeeId}`;
  if (followsStored.seen(key) && (await Follow.exists({ followerId, followeeId }))) return false;
  const edge = await newEdge(followerId, followeeId);
  const forgetting = { pair: [followerId, followeeId] as const, shelves: [edge.followShelf, edge.followerShelf] };
  const added = await changing({ counters }, () => addEdge(edge), forgetting);
  followsStored.stored(key); // by this follow or, when it changed nothing, by an earlier one
  if (added) followAdded(edge, origin);
  return added;
}

async function unfollowOnce(followerId: number, followeeId: number, counters: readonly CounterChange[], origin: Origin): Promise<boolean> {
  followsStored.removed(`${followerId}>${followeeId}`);
  const forgetting = (edge?: Removed) => ({ pair: [followerId, followeeId] as const, ...heldIn(edge?.followShelf, edge?.followerShelf) });
  const removed = await removing({ counters }, () => removeEdge(followerId, followeeId), forgetting);
  if (removed) withdrawn(removed._id, followerId, followeeId, origin);
  return removed !== undefined;
}

async function newEdge(followerId: number, followeeId: number): Promise<EdgeDoc> {
  const id = nextId();
  const [followShelf, followerShelf] = await Promise.all([followeesOf.shelfKey(followerId, id), followersOf.shelfKey(followeeId, id)]);
  return { _id: id, followerId, followeeId, followShelf, followerShelf };
}

async function addEdge(edge: EdgeDoc): Promise<boolean> {
  if ((await insertEdge(edge)) !== 'inserted') return false;
  followeesOf.added(edge.followerId);
  followersOf.added(edge.followeeId);
  return true;
}

/** The edge removed (its id is its notification's); undefined when there was none. Not atomic on FerretDB: see removeLike. */
async function removeEdge(followerId: number, followeeId: number): Promise<Removed | undefined> {
  return (await Follow.findOneAndDelete({ followerId, followeeId }).lean<Removed>()) ?? undefined;
}

/** `before` is the `next_cursor` of the previous page. */
export type Cursor = ListCursor;

export interface UserPage {
  users: UserView[];
  /** Pass as `cursor` for the next page; 0 when this page is the last. */
  nextCursor: number;
}

/** Whom `userId` follows, most recent first, as `viewerId` sees them. */
export async function followList(userId: number, cursor: Cursor, viewerId: number, mediaBase: string): Promise<UserPage> {
  if (!(await userExists(userId))) throw new Refusal('USER_NOT_FOUND');
  const { entries, nextCursor } = await followeesOf.page(userId, cursor);
  return usersPage(entries.map((edge) => edge.followeeId), nextCursor, viewerId, mediaBase);
}

/** Who follows `userId`, most recent first, as `viewerId` sees them. */
export async function followerList(userId: number, cursor: Cursor, viewerId: number, mediaBase: string): Promise<UserPage> {
  if (!(await userExists(userId))) throw new Refusal('USER_NOT_FOUND');
  const { entries, nextCursor } = await followersOf.page(userId, cursor);
  return usersPage(entries.map((edge) => edge.followerId), nextCursor, viewerId, mediaBase);
}

async function usersPage(ids: number[], nextCursor: number, viewerId: number, mediaBase: string): Promise<UserPage> {
  const views = await userViews(ids, viewerId, mediaBase);
  return { users: ids.flatMap((id) => views.get(id) ?? []), nextCursor };
}

/**
 * The viewer's friends (mutual followers), most recently followed first, each with the latest message
 * between the two and who sent it. A constant number of round trips: friendship is the viewer's
 * follows met by their followers, and the latest messages come from the conversations collection.
 */
export async function friendList(viewerId: number, cursor: Cursor, mediaBase: string): Promise<{ users: FriendView[]; nextCursor: number }> {
  const { entries, nextCursor } = await friendEdges(viewerId, cursor);
  const friends = entries.map((edge) => edge.followeeId);
  const [views, conversations, online] = await Promise.all([
    userViews(friends, viewerId, mediaBase),
    cachedConversations(friends.map((id) => pairKey(viewerId, id))),
    onlineAmong(friends),
  ]);
  // Conversations stored before `latest` existed have none until their next message.
  const lastOf = (id: number) => conversations.get(pairKey(viewerId, id))?.latest as { id: number; content: string; fromUserId: number } | undefined;
  const readId = (reader: number, peer: number) => readIdOf(conversations.get(pairKey(reader, peer)), reader);
  const unread = await unreadWith(viewerId, friends.map((id) => ({ peerId: id, latestId: lastOf(id)?.id ?? 0, readId: readId(viewerId, id) })));
  const users = friends.flatMap((id): FriendView[] => {
    const view = views.get(id);
    if (!view) return [];
    const last = lastOf(id);
    return [{
      ...view,
      message: last?.content ?? '',
      msgType: last?.fromUserId === viewerId ? 1 : 0,
      unread_count: unread.get(id) ?? 0,
      peer_read_id: readId(id, viewerId),
      is_online: online.has(id),
    }];
  });
  return { users, nextCursor };
}

/** The ids of `userId`'s friends (mutual follows), all of them: from the owners' lists, without a query per friend. */
export async function friendIds(userId: number): Promise<number[]> {
  const followees = (await followeesOf.get(userId))?.map((edge) => edge.followeeId) ?? (await allFollowees(userId));
  const back = await followersOf.among(userId, followees);
  return followees.filter((id) => back.has(id));
}

/** Whom a user too big to keep in memory follows, page by page. */
async function allFollowees(userId: number): Promise<number[]> {
  const ids: number[] = [];
  for (let cursor: Cursor = { limit: 10_000 }; ;) {
    const page = await followeesOf.page(userId, cursor);
    ids.push(...page.entries.map((edge) => edge.followeeId));
    if (page.nextCursor === 0 || page.entries.length === 0) return ids;
    cursor = { limit: 10_000, before: page.nextCursor };
  }
}

/** The viewer's follow edges whose followee follows back; for a viewer with too many to keep, pages may come short. */
async function friendEdges(viewerId: number, cursor: Cursor): Promise<ListPage<{ _id: number; followeeId: number }>> {
  const followees = await followeesOf.get(viewerId);
  if (!followees) {
    const page = await followeesOf.page(viewerId, cursor);
    const back = await followersOf.among(viewerId, page.entries.map((edge) => edge.followeeId));
    return { entries: page.entries.filter((edge) => back.has(edge.followeeId)), nextCursor: page.nextCursor };
  }
  const back = await followersOf.among(viewerId, followees.map((edge) => edge.followeeId));
  return pageOf(followees.filter((edge) => back.has(edge.followeeId)), cursor);
}

export async function areFriends(a: number, b: number): Promise<boolean> {
  const [ab, ba] = await Promise.all([followeesOf.among(a, [b]), followeesOf.among(b, [a])]);
  return ab.has(b) && ba.has(a);
}
