import { cachedVideos } from './caches.js';
import { foldsIn } from './fold-gate.js';
import { Comment, type CommentDoc } from './comment.js';
import { Refusal } from './errors.js';
import { inTurn } from './in-turn.js';
import { domainEvents, mayListen } from './events.js';
import { nextId } from './ids.js';
import { commentsOf, commentsReceivedBy } from './lists.js';
import type { Cursor } from './relations.js';
import { userViews } from './users.js';
import { EMPTY_USER, type CommentView } from './views.js';
import { commentAdded, withdrawn } from './notifications.js';
import { batchedInserts } from './write-batch.js';
import { changing, pendingCount, removing } from './write-behind.js';

const insertComment = batchedInserts<CommentDoc & { _id: number; shelf: string; authorShelf: string }>(Comment);
const counted = (videoId: number, step: 1 | -1) => ({ counters: [{ target: `videos:${videoId}` as const, field: 'commentCount', step }] });

export interface CommentFormat {
  mediaBase: string;
  /** Renders `create_date` (mm-dd) in the server's time zone. */
  formatDate: (epochMs: number) => string;
}

/**
 * Persists a comment, then reports it. With `clientCommentId` a retry of a comment already stored (its
 * answer lost, or refused at its deadline while the store took it) returns the original and stores nothing.
 */
export async function addComment(userId: number, videoId: number, content: string, format: CommentFormat, clientCommentId?: string): Promise<CommentView> {
  const video = (await cachedVideos([videoId])).get(videoId); // its author never changes
  if (!video) throw new Refusal('VIDEO_NOT_FOUND');
  const dedupeKey = clientCommentId === undefined ? undefined : `${userId}:${clientCommentId}`;
  const { authorId } = video;
  const id = nextId();
  const [shelf, authorShelf] = await Promise.all([commentsOf.shelfKey(videoId, id), commentsReceivedBy.shelfKey(authorId, id)]);
  const comment = { _id: id, videoId, userId, content, createdAt: Date.now(), authorId, shelf, authorShelf, ...(dedupeKey && { dedupeKey }) };
  const forgetting = { comments: [videoId], commented: [authorId], shelves: [shelf, authorShelf] };
  const inserted = await changing(counted(videoId, 1), async () => (await insertComment(comment)) === 'inserted', forgetting);
  if (!inserted) return (await commentViews([await originalOf(dedupeKey)], userId, format))[0]!;
  commentsOf.added(videoId);
  commentsReceivedBy.added(authorId);
  if (userId !== authorId && mayListen(authorId)) {
    const stored = (await cachedVideos([videoId])).get(videoId);
    const commentCount = stored ? stored.commentCount + pendingCount(`videos:${videoId}`, 'commentCount', foldsIn(stored)) : 0;
    domainEvents.emit('comment:added', { comment, authorId, commentCount, origin: { mediaBase: format.mediaBase } });
  }
  commentAdded(comment, authorId, { mediaBase: format.mediaBase });
  return (await commentViews([comment], userId, format))[0]!;
}

/** The comment a retry repeated: the only duplicate an insert can meet is of its dedupe key. */
async function originalOf(dedupeKey: string | undefined): Promise<CommentDoc> {
  const original = dedupeKey === undefined ? null : await Comment.findOne({ dedupeKey }).lean<CommentDoc>();
  // Deleted between the insert and this read: the retry is still not a new comment.
  if (!original) throw new Refusal('COMMENT_NOT_FOUND', 'the comment of this client_comment_id was deleted meanwhile');
  return original;
}

/**
 * Deletes a comment of `videoId`: allowed to the comment's author and to the video's author. One
 * command, which deletes only what the caller may delete and returns it; deletes of one comment take
 * turns in this process (FerretDB's findAndModify is not atomic: two at once could both return it).
 */
export async function deleteComment(userId: number, videoId: number, commentId: number, format: CommentFormat): Promise<CommentView> {
  const video = (await cachedVideos([videoId])).get(videoId);
  if (!video) throw new Refusal('VIDEO_NOT_FOUND');
  const deletable = video.authorId === userId ? { _id: commentId, videoId } : { _id: commentId, videoId, userId };
  // An entry's shelf is a function of its id (shelves.ts): only that one is forgotten.
  const shelves = await Promise.all([commentsOf.shelfKey(videoId, commentId), commentsReceivedBy.shelfKey(video.authorId, commentId)]);
  const remove = async () => (await Comment.findOneAndDelete(deletable).lean<CommentDoc>()) ?? undefined;
  const deleted = await inTurn(`comments:${commentId}`, () => removing(counted(videoId, -1), remove, () => ({ comments: [videoId], commented: [video.authorId], shelves })));
  if (!deleted) throw new Refusal((await Comment.exists({ _id: commentId, videoId })) ? 'NOT_COMMENT_OWNER' : 'COMMENT_NOT_FOUND');
  withdrawn(commentId, deleted.userId, video.authorId, {});
  return (await commentViews([deleted], userId, format))[0]!;
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
