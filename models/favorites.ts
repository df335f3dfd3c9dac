import { incrementUser, incrementVideo, touched } from './counters.js';
import { Refusal } from './errors.js';
import { domainEvents, type Origin } from './events.js';
import { Favorite } from './favorite.js';
import { isDuplicateKey, nextId } from './ids.js';
import { inTurn } from './in-turn.js';
import { likesOf } from './lists.js';
import type { Cursor } from './relations.js';
import { userExists } from './users.js';
import { likeChanged } from './notifications.js';
import { cachedVideos } from './caches.js';
import { videoViews } from './videos.js';
import type { VideoView } from './views.js';

/** Likes (actionType 1) or unlikes (2) a video. Idempotent: repeating either changes nothing and succeeds. */
export async function favorite(userId: number, videoId: number, actionType: 1 | 2, origin: Origin = {}): Promise<void> {
  const video = (await cachedVideos([videoId])).get(videoId); // its author never changes
  if (!video) throw new Refusal('VIDEO_NOT_FOUND');
  const { authorId } = video;
  // A like and an unlike at once move the counters in the order the edge changed (see follow).
  const changed = await inTurn(`favorites:${userId}>${videoId}`, async () => {
    const change = actionType === 1 ? await addLike(userId, videoId, authorId) : await removeLike(userId, videoId);
    if (!change) return undefined;
    const step = actionType === 1 ? 1 : -1;
    const [favoriteCount, user] = await Promise.all([
      incrementVideo(videoId, 'favoriteCount', step),
      incrementUser(userId, 'favoriteCount', step),
      incrementUser(authorId, 'totalFavorited', step),
    ]);
    return { favoriteCount: favoriteCount ?? 0, user };
  });
  if (!changed) return;
  touched({ users: [userId, authorId], videos: [videoId], likes: [userId] });
  if (actionType === 1 && changed.user) {
    domainEvents.emit('favorite:added', { videoId, user: changed.user, authorId, favoriteCount: changed.favoriteCount, origin });
  }
  await likeChanged(userId, videoId, authorId, actionType, origin);
}

async function addLike(userId: number, videoId: number, authorId: number): Promise<boolean> {
  try {
    await Favorite.create({ _id: nextId(), userId, videoId, authorId });
    return true;
  } catch (error) {
    if (isDuplicateKey(error)) return false;
    throw error;
  }
}

async function removeLike(userId: number, videoId: number): Promise<boolean> {
  return (await Favorite.deleteOne({ userId, videoId })).deletedCount > 0;
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
