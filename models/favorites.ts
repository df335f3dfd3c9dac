import { Refusal } from './errors.js';
import { domainEvents, mayListen, type Origin } from './events.js';
import { edgeHints } from './edge-hints.js';
import { Favorite } from './favorite.js';
import { nextId } from './ids.js';
import { inTurn } from './in-turn.js';
import { likesOf, likesReceivedBy } from './lists.js';
import type { Cursor } from './relations.js';
import { recordAsLeft, userExists } from './users.js';
import { likeAdded, withdrawn } from './notifications.js';
import { cachedVideos, heldIn } from './caches.js';
import { foldsIn } from './fold-gate.js';
import { videoViews } from './videos.js';
import type { VideoView } from './views.js';
import { batchedInserts } from './write-batch.js';
import { changing, pendingCount, removing, type CounterChange } from './write-behind.js';

const insertLike = batchedInserts<LikeDoc>(Favorite);
const likesStored = edgeHints();

/** Likes (actionType 1) or unlikes (2) a video. Idempotent: repeating either changes nothing and succeeds. */
export async function favorite(userId: number, videoId: number, actionType: 1 | 2, origin: Origin = {}): Promise<void> {
  const video = (await cachedVideos([videoId])).get(videoId); // its author never changes
  if (!video) throw new Refusal('VIDEO_NOT_FOUND');
  const { authorId } = video;
  const step = actionType === 1 ? 1 : -1;
  const counters: CounterChange[] = [
    { target: `videos:${videoId}`, field: 'favoriteCount', step },
    { target: `users:${userId}`, field: 'favoriteCount', step },
    { target: `users:${authorId}`, field: 'totalFavorited', step },
  ];
  // A like and an unlike at once (a double tap) change the edge in turn.
  const changed = await inTurn(`favorites:${userId}>${videoId}`, () =>
    actionType === 1 ? likeOnce(userId, videoId, authorId, counters, origin) : unlikeOnce(userId, videoId, authorId, counters, origin));
  if (changed && actionType === 1 && userId !== authorId && mayListen(authorId)) await reportLike(userId, videoId, authorId, origin);
}

async function likeOnce(userId: number, videoId: number, authorId: number, counters: CounterChange[], origin: Origin): Promise<boolean> {
  const key = `${userId}>${videoId}`;
  if (likesStored.seen(key) && (await Favorite.exists({ userId, videoId }))) return false;
  const like = await newLike(userId, videoId, authorId);
  const forgetting = { likes: [userId], liked: [authorId], shelves: [like.shelf, like.authorShelf] };
  const added = await changing({ counters }, () => addLike(like), forgetting);
  likesStored.stored(key); // by this like or, when it changed nothing, by an earlier one
  if (added) likeAdded(like, origin);
  return added;
}

async function unlikeOnce(userId: number, videoId: number, authorId: number, counters: CounterChange[], origin: Origin): Promise<boolean> {
  likesStored.removed(`${userId}>${videoId}`);
  const forgetting = (like?: Removed) => ({ likes: [userId], liked: [authorId], ...heldIn(like?.shelf, like?.authorShelf) });
  const removed = await removing({ counters }, () => removeLike(userId, videoId), forgetting);
  if (removed) withdrawn(removed._id, userId, authorId, origin);
  return removed !== undefined;
}

async function reportLike(userId: number, videoId: number, authorId: number, origin: Origin): Promise<void> {
  const [user, liked] = await Promise.all([recordAsLeft(userId), cachedVideos([videoId])]);
  const video = liked.get(videoId);
  const favoriteCount = video ? video.favoriteCount + pendingCount(`videos:${videoId}`, 'favoriteCount', foldsIn(video)) : 0;
  if (user) domainEvents.emit('favorite:added', { videoId, user, authorId, favoriteCount, origin });
}

type LikeDoc = { _id: number; userId: number; videoId: number; authorId: number; shelf: string; authorShelf: string };
/** A like as stored, by this version or an older one (without shelves). */
type Removed = Pick<LikeDoc, '_id'> & Partial<LikeDoc>;

async function newLike(userId: number, videoId: number, authorId: number): Promise<LikeDoc> {
  const id = nextId();
  const [shelf, authorShelf] = await Promise.all([likesOf.shelfKey(userId, id), likesReceivedBy.shelfKey(authorId, id)]);
  return { _id: id, userId, videoId, authorId, shelf, authorShelf };
}

async function addLike(like: LikeDoc): Promise<boolean> {
  if ((await insertLike(like)) !== 'inserted') return false;
  likesOf.added(like.userId);
  likesReceivedBy.added(like.authorId);
  return true;
}

/**
 * The like removed (its id is its notification's); undefined when there was none. FerretDB's
 * findAndModify is not atomic: unlikes of one like on two processes at once can both return it, and
 * the counters they both changed are then recounted after the fold (counters.ts, `recountWhenShared`).
 */
async function removeLike(userId: number, videoId: number): Promise<Removed | undefined> {
  return (await Favorite.findOneAndDelete({ userId, videoId }).lean<Removed>()) ?? undefined;
}

/** The videos `userId` likes, most recently liked first, with `viewerId`'s flags. */
export async function favoriteList(
  userId: number,
  cursor: Cursor,
  viewerId: number,
  mediaBase: string,
): Promise<{ videos: VideoView[]; nextCursor: number }> {
  if (!(await userExists(userId))) throw new Refusal('USER_NOT_FOUND');
  const { entries, nextCursor } = await likesOf.page(userId, cursor);
  const byId = await cachedVideos(entries.map((like) => like.videoId));
  const ordered = entries.flatMap((like) => byId.get(like.videoId) ?? []);
  return { videos: await videoViews(ordered, viewerId, mediaBase), nextCursor };
}

/** The subset of `videoIds` that `viewerId` likes. */
export async function favoritedAmong(viewerId: number | undefined, videoIds: readonly number[]): Promise<Set<number>> {
  if (viewerId === undefined || videoIds.length === 0) return new Set();
  return likesOf.among(viewerId, videoIds);
}
