import { cachedVideos } from './caches.js';
import { Comment, type CommentDoc } from './comment.js';
import { commentViews, type CommentFormat } from './comments.js';
import { idTime } from './ids.js';
import { findIn } from './lookups.js';
import { lateArrivalFloor } from './messages.js';
import { Notification, type NotificationDoc, type NotificationType } from './notification.js';
import type { Cursor } from './relations.js';
import { userViews } from './users.js';
import { videoViews } from './videos.js';
import type { CommentView, UserView, VideoView } from './views.js';

/**
 * Reading one's notifications. An inbox is bounded (notifications.ts), so every read takes it whole
 * with one equality query on its owner, which is also all that FerretDB can narrow a query by: pages,
 * catch-up and the unread count come from that one snapshot, and a page of views costs the same few
 * round trips whatever its length.
 */

export interface NotificationView {
  id: number;
  type: NotificationType;
  /** Epoch milliseconds as a string of digits. */
  create_time: string;
  /** Who liked, commented or followed, as the recipient sees them. */
  user: UserView;
  video?: VideoView;
  comment?: CommentView;
  is_read: boolean;
}

export interface InboxPage {
  notifications: NotificationView[];
  unreadCount: number;
}

/** The user's notifications, newest first; `nextCursor` is 0 on the last page. */
export async function notificationList(userId: number, cursor: Cursor, format: CommentFormat): Promise<InboxPage & { nextCursor: number }> {
  const inbox = await inboxOf(userId);
  const older = cursor.before === undefined ? inbox : inbox.filter((doc) => doc._id < cursor.before!);
  const page = older.slice(0, cursor.limit);
  return {
    notifications: await notificationViews(page, userId, format),
    nextCursor: older.length > page.length ? page.at(-1)!._id : 0,
    unreadCount: unread(inbox),
  };
}

/**
 * The notifications created after `afterId`, oldest first, for a client catching up after being
 * offline, with the rules of message sync: those of the last LATE_ARRIVAL_MS before `afterId` come
 * again (an id is taken before its notification is stored), and `hasMore` says to ask again from
 * the last id received.
 */
export async function syncNotifications(userId: number, afterId: number, limit: number, format: CommentFormat): Promise<InboxPage & { hasMore: boolean }> {
  const inbox = await inboxOf(userId);
  const lookback = lateArrivalFloor(afterId);
  const wanted = inbox.filter((doc) => doc._id > lookback).reverse();
  const fresh = wanted.filter((doc) => doc._id > afterId);
  const late = wanted.filter((doc) => doc._id <= afterId);
  return {
    notifications: await notificationViews([...late, ...fresh.slice(0, limit)], userId, format),
    hasMore: fresh.length > limit,
    unreadCount: unread(inbox),
  };
}

/** Marks the user's notifications up to `upToId` read; returns how many stay unread. */
export async function markRead(userId: number, upToId: number): Promise<number> {
  await Notification.updateMany({ recipientId: userId, read: false, _id: { $lte: upToId } }, { $set: { read: true } });
  return Notification.countDocuments({ recipientId: userId, read: false });
}

/** Newest first. */
async function inboxOf(userId: number): Promise<NotificationDoc[]> {
  const inbox = await Notification.find({ recipientId: userId }, { key: 0 }).lean<NotificationDoc[]>();
  return inbox.sort((a, b) => b._id - a._id);
}

const unread = (inbox: readonly NotificationDoc[]) => inbox.filter((doc) => !doc.read).length;

/**
 * The notifications as their recipient sees them; one whose video or comment is gone is left out.
 * Users, videos and comments are each looked up once for the whole page.
 */
export async function notificationViews(docs: readonly NotificationDoc[], recipientId: number, format: CommentFormat): Promise<NotificationView[]> {
  const [users, videos, comments] = await Promise.all([
    userViews(docs.map((doc) => doc.actorId), recipientId, format.mediaBase),
    videosById(docs.flatMap((doc) => doc.videoId ?? []), recipientId, format.mediaBase),
    commentsById(docs.flatMap((doc) => doc.commentId ?? []), recipientId, format),
  ]);
  return docs.flatMap((doc): NotificationView[] => {
    const user = users.get(doc.actorId);
    const video = doc.videoId == null ? undefined : videos.get(doc.videoId);
    const comment = doc.commentId == null ? undefined : comments.get(doc.commentId);
    if (!user || (doc.videoId != null && !video) || (doc.commentId != null && !comment)) return [];
    return [{ id: doc._id, type: doc.type, create_time: String(idTime(doc._id)), user, ...(video && { video }), ...(comment && { comment }), is_read: doc.read }];
  });
}

async function videosById(ids: readonly number[], viewerId: number, mediaBase: string): Promise<Map<number, VideoView>> {
  const docs = await cachedVideos(ids);
  const views = await videoViews([...docs.values()], viewerId, mediaBase);
  return new Map(views.map((view) => [view.id, view]));
}

async function commentsById(ids: readonly number[], viewerId: number, format: CommentFormat): Promise<Map<number, CommentView>> {
  const views = await commentViews(await findIn<CommentDoc>(Comment, '_id', ids), viewerId, format);
  return new Map(views.map((view) => [view.id, view]));
}
