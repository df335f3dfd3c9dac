import { cachedVideos } from './caches.js';
import { commentViews, type CommentFormat } from './comments.js';
import { moveForward } from './forward-only.js';
import { idTime } from './ids.js';
import { commentsReceivedBy, followersOf, likesReceivedBy } from './lists.js';
import { lateArrivalFloor } from './messages.js';
import { InboxRead, type Notice, type NotificationType } from './notification.js';
import { commentNotice, followNotice, likeNotice } from './notifications.js';
import type { Cursor } from './relations.js';
import { userViews } from './users.js';
import { videoViews } from './videos.js';
import type { CommentView, UserView, VideoView } from './views.js';

/**
 * Reading one's notifications. The inbox is not stored: it is the newest likes and comments the
 * user's videos received and the newest follows of the user, from the owners' lists (lists.ts) that
 * the writes keep current on every process, merged newest first; one's own likes and comments are
 * left out. How far the user has read is one number (`InboxRead`). Pages, catch-up and the unread
 * count come from that one snapshot, and a page of views costs the same few round trips whatever its length.
 */

/** The inbox holds the newest INBOX_SIZE notifications, from the newest INBOX_SIZE of each kind. */
export const INBOX_SIZE = 200;

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

interface Inbox {
  /** Newest first. */
  notices: Notice[];
  /** Every notification up to this id is read. */
  readTo: number;
}

/** The user's notifications, newest first; `nextCursor` is 0 on the last page. */
export async function notificationList(userId: number, cursor: Cursor, format: CommentFormat): Promise<InboxPage & { nextCursor: number }> {
  const { notices, readTo } = await inboxOf(userId);
  const older = cursor.before === undefined ? notices : notices.filter((notice) => notice._id < cursor.before!);
  const page = older.slice(0, cursor.limit);
  return {
    notifications: await notificationViews(page, userId, format, readTo),
    nextCursor: older.length > page.length ? page.at(-1)!._id : 0,
    unreadCount: unread({ notices, readTo }),
  };
}

/**
 * The notifications created after `afterId`, oldest first, for a client catching up after being
 * offline, with the rules of message sync: those of the last LATE_ARRIVAL_MS before `afterId` come
 * again (an edge's id is taken before it is stored), and `hasMore` says to ask again from the last
 * id received.
 */
export async function syncNotifications(userId: number, afterId: number, limit: number, format: CommentFormat): Promise<InboxPage & { hasMore: boolean }> {
  const inbox = await inboxOf(userId);
  const lookback = lateArrivalFloor(afterId);
  const wanted = inbox.notices.filter((notice) => notice._id > lookback).reverse();
  const fresh = wanted.filter((notice) => notice._id > afterId);
  const late = wanted.filter((notice) => notice._id <= afterId);
  return {
    notifications: await notificationViews([...late, ...fresh.slice(0, limit)], userId, format, inbox.readTo),
    hasMore: fresh.length > limit,
    unreadCount: unread(inbox),
  };
}

/**
 * Marks the user's notifications up to `upToId` read (the position only moves forward, and no further
 * than the newest notification: "everything" marked with a huge id must not mark those to come);
 * returns how many stay unread.
 */
export async function markRead(userId: number, upToId: number): Promise<number> {
  const { notices, readTo } = await inboxOf(userId);
  const upTo = Math.min(upToId, notices[0]?._id ?? 0);
  if (upTo > readTo) await moveReadTo(userId, upTo);
  return unread({ notices, readTo: Math.max(readTo, upTo) });
}

async function inboxOf(userId: number): Promise<Inbox> {
  const newest = { limit: INBOX_SIZE };
  const [likes, comments, followers, readTo] = await Promise.all([
    likesReceivedBy.page(userId, newest),
    commentsReceivedBy.page(userId, newest),
    followersOf.page(userId, newest),
    readPosition(userId),
  ]);
  const notices = [
    ...likes.entries.map((like) => likeNotice({ ...like, authorId: userId })),
    ...comments.entries.map((comment) => commentNotice(comment, userId)),
    ...followers.entries.map((edge) => followNotice({ ...edge, followeeId: userId })),
  ];
  const others = notices.filter((notice) => notice.actorId !== userId).sort((a, b) => b._id - a._id);
  return { notices: others.slice(0, INBOX_SIZE), readTo };
}

const unread = ({ notices, readTo }: Inbox) => notices.filter((notice) => notice._id > readTo).length;

async function readPosition(userId: number): Promise<number> {
  return (await InboxRead.findById(userId, { upTo: 1 }).lean<{ upTo: number }>())?.upTo ?? 0;
}

function moveReadTo(userId: number, upTo: number): Promise<void> {
  return moveForward(
    () => InboxRead.collection.updateOne({ _id: userId } as never, { $max: { upTo } }, { upsert: true }),
    async () => (await readPosition(userId)) >= upTo,
  );
}

/**
 * The notifications as their recipient sees them; one whose video is gone is left out. Users and
 * videos are each looked up once for the whole page.
 */
export async function notificationViews(notices: readonly Notice[], recipientId: number, format: CommentFormat, readTo = 0): Promise<NotificationView[]> {
  const [users, videos, comments] = await Promise.all([
    userViews(notices.map((notice) => notice.actorId), recipientId, format.mediaBase),
    videosById(notices.flatMap((notice) => notice.videoId ?? []), recipientId, format.mediaBase),
    commentViews(notices.flatMap((notice) => notice.comment ?? []), recipientId, format),
  ]);
  const commentsById = new Map(comments.map((view) => [view.id, view]));
  return notices.flatMap((notice): NotificationView[] => {
    const user = users.get(notice.actorId);
    const video = notice.videoId === undefined ? undefined : videos.get(notice.videoId);
    const comment = notice.comment && commentsById.get(notice.comment._id);
    if (!user || (notice.videoId !== undefined && !video)) return [];
    const view = { id: notice._id, type: notice.type, create_time: String(idTime(notice._id)), user, ...(video && { video }), ...(comment && { comment }) };
    return [{ ...view, is_read: notice._id <= readTo }];
  });
}

async function videosById(ids: readonly number[], viewerId: number, mediaBase: string): Promise<Map<number, VideoView>> {
  const docs = await cachedVideos(ids);
  const views = await videoViews([...docs.values()], viewerId, mediaBase);
  return new Map(views.map((view) => [view.id, view]));
}
