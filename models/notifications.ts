import { LRUCache } from 'lru-cache';
import { Comment } from './comment.js';
import { domainEvents, mayListen, type Origin } from './events.js';
import { Favorite } from './favorite.js';
import { Follow } from './follow.js';
import { nextId, storeLooksShared } from './ids.js';
import { Notification, type NotificationDoc } from './notification.js';
import { batchedDeletes, batchedInserts } from './write-batch.js';

const insertNotification = batchedInserts<NotificationDoc & { _id: number }>(Notification);
const withdraw = batchedDeletes(Notification);

/**
 * Notifications of likes, comments and follows, kept in the recipient's inbox so that they outlive
 * being offline. The operations that like, comment and follow call these after their own write is
 * stored; undoing withdraws what the action made. A unique key per actor and target means that no
 * repeat, concurrent or not, stores a second one.
 */

/** Each inbox keeps its newest INBOX_SIZE notifications; older ones are dropped. */
export const INBOX_SIZE = 200;
/**
 * A process trims an inbox on its first insert into it and then on every TRIM_EVERY-th: an inbox holds
 * at most INBOX_SIZE plus TRIM_EVERY - 1 per process writing to it, and trimming, which reads the
 * whole inbox, costs about five documents read per notification stored.
 */
export const TRIM_EVERY = 50;

type Notice = Omit<NotificationDoc, '_id' | 'read'>;

/** What an action notifies while it stands, and how to tell whether it still stands. */
interface Subject {
  notice: Notice;
  stands(): Promise<boolean>;
}

/** After a like (1) or an unlike (2) is stored: tells the video's author, or withdraws what the like told. */
export async function likeChanged(userId: number, videoId: number, authorId: number, actionType: 1 | 2, origin: Origin): Promise<void> {
  if (userId === authorId) return;
  await changed({
    notice: { recipientId: authorId, type: 'favorite', actorId: userId, videoId, key: `favorite:${userId}:${videoId}` },
    stands: async () => (await Favorite.exists({ userId, videoId })) !== null,
  }, actionType === 1, origin);
}

/** After a follow (1) or an unfollow (2) is stored. */
export async function followChanged(followerId: number, followeeId: number, actionType: 1 | 2, origin: Origin): Promise<void> {
  await changed({
    notice: { recipientId: followeeId, type: 'follow', actorId: followerId, key: `follow:${followerId}:${followeeId}` },
    stands: async () => (await Follow.exists({ followerId, followeeId })) !== null,
  }, actionType === 1, origin);
}

/** After a comment is stored: tells the video's author, unless they wrote it. */
export async function commentAdded(commentId: number, videoId: number, userId: number, authorId: number, origin: Origin): Promise<void> {
  if (userId !== authorId) await changed(commentSubject(commentId, videoId, userId, authorId), true, origin);
}

/** After a comment is deleted, by its author or the video's. */
export async function commentDeleted(commentId: number, videoId: number, userId: number, authorId: number): Promise<void> {
  if (userId !== authorId) await changed(commentSubject(commentId, videoId, userId, authorId), false, {});
}

function commentSubject(commentId: number, videoId: number, userId: number, authorId: number): Subject {
  return {
    notice: { recipientId: authorId, type: 'comment', actorId: userId, videoId, commentId, key: `comment:${commentId}` },
    stands: async () => (await Comment.exists({ _id: commentId })) !== null,
  };
}

async function changed(subject: Subject, done: boolean, origin: Origin): Promise<void> {
  if (done) return store(subject.notice, origin);
  await withdrawNotice(subject.notice, origin);
  // In one process an action and its undo take turns (in-turn.ts); only another process can race them.
  if (storeLooksShared()) settleLater(subject, origin);
}

/** Stores a notification, then reports it; nothing when one with its key is stored already. */
async function store(notice: Notice, origin: Origin): Promise<void> {
  const notification = { _id: nextId(), ...notice, read: false };
  if ((await insertNotification(notification)) === 'duplicate') return;
  if (mayListen(notice.recipientId)) domainEvents.emit('notification:created', { notification, origin });
  await keepBounded(notice.recipientId);
}

/**
 * Withdraws the notification of `notice`, and reports its id. The id costs a read, made only when the
 * recipient may be listening: nobody else needs to hear of it.
 */
async function withdrawNotice(notice: Notice, origin: Origin): Promise<void> {
  const stored = mayListen(notice.recipientId) ? await Notification.findOne({ key: notice.key }, { _id: 1 }).lean() : null;
  await withdraw({ key: notice.key });
  if (stored) domainEvents.emit('notification:withdrawn', { recipientId: notice.recipientId, notificationId: stored._id, origin });
}

/**
 * An undo racing its action on another process (a double tap that likes on one process and unlikes on
 * another) can leave the notification out of step with the action: withdrawn before the like stored
 * it, or withdrawing the notification of the like that followed. So when other processes share the
 * store, once activity on a key has been quiet for SETTLE_MS (at most MAX_DELAY_MS after the first
 * undo), the process that undid re-derives it from the action's record.
 */
const SETTLE_MS = 1_000;
const MAX_DELAY_MS = 5_000;
const unsettled = new Map<string, { subject: Subject; origin: Origin; since: number; timer: NodeJS.Timeout }>();

function settleLater(subject: Subject, origin: Origin): void {
  const { key } = subject.notice;
  const now = Date.now();
  const since = unsettled.get(key)?.since ?? now;
  clearTimeout(unsettled.get(key)?.timer);
  const timer = setTimeout(() => void settle(key), Math.min(SETTLE_MS, since + MAX_DELAY_MS - now)).unref();
  unsettled.set(key, { subject, origin, since, timer });
}

async function settle(key: string): Promise<void> {
  const entry = unsettled.get(key);
  if (!entry) return;
  clearTimeout(entry.timer);
  unsettled.delete(key);
  try {
    const [stands, stored] = await Promise.all([entry.subject.stands(), Notification.exists({ key })]);
    if (stands && !stored) await store(entry.subject.notice, entry.origin);
    if (!stands && stored) {
      await Notification.deleteOne({ key });
      const { recipientId } = entry.subject.notice;
      if (mayListen(recipientId)) domainEvents.emit('notification:withdrawn', { recipientId, notificationId: stored._id, origin: entry.origin });
    }
  } catch {
    settleLater(entry.subject, entry.origin); // the store is away: try again later
  }
}

/** Settles every key now (at shutdown). */
export async function settleNotifications(): Promise<void> {
  await Promise.all([...unsettled.keys()].map(settle));
}

const insertsSinceTrim = new LRUCache<number, number>({ max: 10_000 });

async function keepBounded(recipientId: number): Promise<void> {
  const inserts = insertsSinceTrim.get(recipientId);
  if (inserts !== undefined && inserts + 1 < TRIM_EVERY) {
    insertsSinceTrim.set(recipientId, inserts + 1);
    return;
  }
  insertsSinceTrim.set(recipientId, 0);
  const inbox = await Notification.find({ recipientId }, { _id: 1 }).lean();
  if (inbox.length <= INBOX_SIZE) return;
  const oldestKept = inbox.map((doc) => doc._id).sort((a, b) => b - a)[INBOX_SIZE - 1]!;
  await Notification.deleteMany({ recipientId, _id: { $lt: oldestKept } });
}
