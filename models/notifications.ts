import type { CommentDoc } from './comment.js';
import { domainEvents, mayListen, type Origin } from './events.js';
import type { Notice } from './notification.js';

/**
 * What a like, a comment or a follow tells its recipient once its edge is stored, and what undoing it
 * takes back. Nothing is stored for a notification: the inbox is read from the edges themselves
 * (inbox.ts), so it stands exactly while its action does, on every process, and costs a write nothing.
 */

/** A like was stored: the video's author hears of it, unless they liked it themselves. */
export function likeAdded(like: Like, origin: Origin): void {
  created(likeNotice(like), origin);
}

/** A follow was stored. */
export function followAdded(edge: Edge, origin: Origin): void {
  created(followNotice(edge), origin);
}

/** A comment was stored: the video's author hears of it, unless they wrote it. */
export function commentAdded(comment: CommentDoc & { _id: number }, authorId: number, origin: Origin): void {
  created(commentNotice(comment, authorId), origin);
}

/** The edge `id` of `actorId`'s action was removed (unlike, unfollow, comment deleted): its notification goes with it. */
export function withdrawn(id: number, actorId: number, recipientId: number, origin: Origin): void {
  if (actorId !== recipientId && mayListen(recipientId)) domainEvents.emit('notification:withdrawn', { recipientId, notificationId: id, origin });
}

function created(notice: Notice, origin: Origin): void {
  if (notice.actorId !== notice.recipientId && mayListen(notice.recipientId)) domainEvents.emit('notification:created', { notification: notice, origin });
}

type Like = { _id: number; userId: number; videoId: number; authorId: number };
type Edge = { _id: number; followerId: number; followeeId: number };

/** The notification each kind of edge makes. */
export const likeNotice = ({ _id, userId, videoId, authorId }: Like): Notice =>
  ({ _id, recipientId: authorId, type: 'favorite', actorId: userId, videoId, key: `favorite:${userId}:${videoId}` });

export const followNotice = ({ _id, followerId, followeeId }: Edge): Notice =>
  ({ _id, recipientId: followeeId, type: 'follow', actorId: followerId, key: `follow:${followerId}:${followeeId}` });

export const commentNotice = (comment: CommentDoc & { _id: number }, authorId: number): Notice =>
  ({ _id: comment._id, recipientId: authorId, type: 'comment', actorId: comment.userId, videoId: comment.videoId, comment, key: `comment:${comment._id}` });
