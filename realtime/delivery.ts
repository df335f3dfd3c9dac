import type { Logger } from 'pino';
import { comments, domainEvents, inbox, messages, users, videos, type DomainEvents } from '../models/index.js';
import type { Origin } from '../models/events.js';
import { userRoom, type GatewayServer } from './types.js';

export interface DeliveryOptions {
  /** PUBLIC_URL: the base of media URLs in payloads; otherwise the base the writing client used. */
  publicUrl: string | undefined;
  /** The base when neither is known (a write that came through a socket). */
  fallbackMediaBase: string;
  formatDate: (epochMs: number) => string;
  logger: Logger;
  /** Counts each socket event emitted (for metrics). */
  onDelivered?: (event: string) => void;
  /**
   * One packet per room for an event to several users: the sharded adapter sends a single-room
   * packet to the processes holding that room only, and one for several rooms to every process.
   */
  packetPerRoom?: boolean;
  /**
   * Whether a like's or follow's notification is the first for its actor and target within the repeat
   * window: one toggled in a loop is stored each time but pushed once (NOTIFICATION_REPEAT_WINDOW_S).
   */
  notificationRepeats?: { first(key: string): Promise<boolean> };
}

/**
 * Turns domain events (emitted after their write is persisted, on the process that made the write)
 * into socket events for the users they concern. Emitting to a room reaches that user's sockets on
 * every process through the adapter. Returns a function that stops the delivery.
 */
export function deliverDomainEvents(io: GatewayServer, options: DeliveryOptions): () => void {
  const delivered = (event: string) => options.onDelivered?.(event);
  const repeatsFirst = (key: string) => options.notificationRepeats?.first(key) ?? Promise.resolve(true);
  const base = (origin: Origin) => options.publicUrl ?? origin.mediaBase ?? options.fallbackMediaBase;
  const handlers: { [E in keyof DomainEvents]: (...args: DomainEvents[E]) => Promise<void> } = {
    async 'message:created'({ message, origin }) {
      const view = messages.messageView(message);
      const rooms = [userRoom(message.toUserId), userRoom(message.fromUserId)];
      for (const target of options.packetPerRoom ? rooms.map((room) => [room]) : [rooms]) {
        // The sending socket has its acknowledgement; the sender's other sockets get the message.
        const operator = io.to(target);
        (origin.socketId ? operator.except(origin.socketId) : operator).emit('message:new', view);
      }
      delivered('message:new');
    },
    async 'follow:changed'({ follower, followeeId, actionType, isFriend, origin }) {
      const user = await users.viewOfRecord(follower, followeeId, base(origin));
      io.to(userRoom(followeeId)).emit('relation:follow', { action_type: actionType, user, is_friend: isFriend });
      delivered('relation:follow');
    },
    async 'favorite:added'({ videoId, user: liker, authorId, favoriteCount, origin }) {
      if (liker._id === authorId) return;
      const user = await users.viewOfRecord(liker, authorId, base(origin));
      io.to(userRoom(authorId)).emit('favorite:new', { video_id: videoId, user, favorite_count: favoriteCount });
      delivered('favorite:new');
    },
    async 'comment:added'({ comment, authorId, commentCount, origin }) {
      if (comment.userId === authorId) return;
      const format = { mediaBase: base(origin), formatDate: options.formatDate };
      const [view] = await comments.commentViews([comment], authorId, format);
      io.to(userRoom(authorId)).emit('comment:new', { video_id: comment.videoId, comment: view!, comment_count: commentCount });
      delivered('comment:new');
    },
    async 'notification:created'({ notification, origin }) {
      if (notification.type !== 'comment' && !(await repeatsFirst(notification.key))) return;
      const format = { mediaBase: base(origin), formatDate: options.formatDate };
      const [view] = await inbox.notificationViews([notification], notification.recipientId, format);
      if (!view) return;
      io.to(userRoom(notification.recipientId)).emit('notification:new', view);
      delivered('notification:new');
    },
    async 'notification:withdrawn'({ recipientId, notificationId }) {
      io.to(userRoom(recipientId)).emit('notification:removed', { id: notificationId });
      delivered('notification:removed');
    },
    async 'message:read'({ readerId, peerId, upToId, readTime, origin }) {
      const event = { reader_id: readerId, peer_id: peerId, up_to_id: upToId, read_time: String(readTime) };
      const rooms = [userRoom(peerId), userRoom(readerId)];
      for (const target of options.packetPerRoom ? rooms.map((room) => [room]) : [rooms]) {
        // The reader's other devices clear their badge; the socket that marked has its ack.
        const operator = io.to(target);
        (origin.socketId ? operator.except(origin.socketId) : operator).emit('message:read', event);
      }
      delivered('message:read');
    },
    async 'video:progress'({ videoId, authorId, percent }) {
      io.to(userRoom(authorId)).emit('video:progress', { video_id: videoId, percent });
      delivered('video:progress');
    },
    async 'video:ready'({ video, origin }) {
      const [view] = await videos.videoViews([video], video.authorId, base(origin));
      io.to(userRoom(video.authorId)).emit('video:ready', { video: view! });
      delivered('video:ready');
    },
    async 'video:failed'({ videoId, authorId, reason }) {
      io.to(userRoom(authorId)).emit('video:failed', { video_id: videoId, status_msg: reason });
      delivered('video:failed');
    },
  };

  const stops = [
    subscribe('message:created', handlers['message:created'], options.logger),
    subscribe('follow:changed', handlers['follow:changed'], options.logger),
    subscribe('favorite:added', handlers['favorite:added'], options.logger),
    subscribe('comment:added', handlers['comment:added'], options.logger),
    subscribe('notification:created', handlers['notification:created'], options.logger),
    subscribe('notification:withdrawn', handlers['notification:withdrawn'], options.logger),
    subscribe('message:read', handlers['message:read'], options.logger),
    subscribe('video:progress', handlers['video:progress'], options.logger),
    subscribe('video:ready', handlers['video:ready'], options.logger),
    subscribe('video:failed', handlers['video:failed'], options.logger),
  ];
  return () => stops.forEach((stop) => stop());
}

function subscribe<E extends keyof DomainEvents>(name: E, handler: (...args: DomainEvents[E]) => Promise<void>, logger: Logger): () => void {
  const listener = (...args: DomainEvents[E]) =>
    void handler(...args).catch((error: unknown) => logger.warn({ err: error, event: name }, 'could not deliver a realtime event'));
  domainEvents.on<E>(name, listener as never);
  return () => domainEvents.off<E>(name, listener as never);
}

