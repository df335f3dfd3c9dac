import { cachedVideos } from './caches.js';
import { Comment, type CommentDoc } from './comment.js';
import { incrementVideo, touched } from './counters.js';
import { Refusal } from './errors.js';
import { domainEvents } from './events.js';
import { nextId } from './ids.js';
import { commentsOf } from './lists.js';
import type { Cursor } from './relations.js';
import { userViews } from './users.js';
import { EMPTY_USER, type CommentView } from './views.js';
import { commentAdded, commentDeleted } from './notifications.js';

export interface CommentFormat {
  mediaBase: string;
  /** Renders `create_date` (mm-dd) in the server's time zone. */
  formatDate: (epochMs: number) => string;
}

export async function addComment(userId: number, videoId: number, content: string, format: CommentFormat): Promise<CommentView> {
  const video = (await cachedVideos([videoId])).get(videoId); // its author never changes
  if (!video) throw new Refusal('VIDEO_NOT_FOUND');
  const comment = { _id: nextId(), videoId, userId, content, createdAt: Date.now() };
  await Comment.create(comment);
  const commentCount = (await incrementVideo(videoId, 'commentCount', 1)) ?? 0;
  touched({ videos: [videoId], comments: [videoId] });
  domainEvents.emit('comment:added', { comment, authorId: video.authorId, commentCount, origin: { mediaBase: format.mediaBase } });
  await commentAdded(comment._id, videoId, userId, video.authorId, { mediaBase: format.mediaBase });
  return (await commentViews([comment], userId, format))[0]!;
}

/** Deletes a comment of `videoId`: allowed to the comment's author and to the video's author. */
export async function deleteComment(userId: number, videoId: number, commentId: number, format: CommentFormat): Promise<CommentView> {
  const [comment, video] = await Promise.all([
    Comment.findOne({ _id: commentId, videoId }).lean(),
    cachedVideos([videoId]).then((found) => found.get(videoId)),
  ]);
  if (!video) throw new Refusal('VIDEO_NOT_FOUND');
  if (!comment) throw new Refusal('COMMENT_NOT_FOUND');
  if (comment.userId !== userId && video.authorId !== userId) throw new Refusal('NOT_COMMENT_OWNER');
  const view = (await commentViews([comment], userId, format))[0]!;
  if ((await Comment.deleteOne({ _id: commentId })).deletedCount > 0) {
    await incrementVideo(videoId, 'commentCount', -1);
    touched({ videos: [videoId], comments: [videoId] });
  }
  await commentDeleted(commentId, videoId, comment.userId, video.authorId);
  return view;
}

/** Comments of a video, newest first. */
export async function commentList(
  videoId: number,
  cursor: Cursor,
  viewerId: number | undefined,
  format: CommentFormat,
): Promise<{ comments: CommentView[]; nextCursor: number }> {
  if (!(await cachedVideos([videoId])).has(videoId)) throw new Refusal('VIDEO_NOT_FOUND');
  const { entries, nextCursor } = await commentsOf.page(videoId, cursor);
  return { comments: await commentViews(entries, viewerId, format), nextCursor };
}

export async function commentViews(docs: readonly CommentDoc[], viewerId: number | undefined, format: CommentFormat): Promise<CommentView[]> {
  const users = await userViews(docs.map((doc) => doc.userId), viewerId, format.mediaBase);
  return docs.map((doc) => ({
    id: doc._id,
    user: users.get(doc.userId) ?? EMPTY_USER,
    content: doc.content,
    create_date: format.formatDate(doc.createdAt),
  }));
}
