import { EventEmitter } from 'node:events';
import type { UserRecord } from './user.js';
import type { Notice } from './notification.js';
import type { VideoDoc } from './video.js';

/**
 * What the domain reports after a write is persisted, for the realtime gateway to deliver. Payloads
 * carry records and counts as the write left them, not views: the deliverer builds each recipient's view.
 */
export interface DomainEvents {
  'message:created': [{ message: MessageRecord; origin: Origin }];
  'follow:changed': [{ follower: UserRecord; followeeId: number; actionType: 1 | 2; isFriend: boolean; origin: Origin }];
  'favorite:added': [{ videoId: number; user: UserRecord; authorId: number; favoriteCount: number; origin: Origin }];
  'comment:added': [{ comment: CommentRecord; authorId: number; commentCount: number; origin: Origin }];
  /** A like, comment or follow stored: its recipient's inbox shows it. */
  'notification:created': [{ notification: Notice; origin: Origin }];
  /** A notification taken back (unlike, unfollow, comment deleted): screens that show it drop it. */
  'notification:withdrawn': [{ recipientId: number; notificationId: number; origin: Origin }];
  /** A reader's position in a conversation moved forward: the peer's messages up to `upToId` were seen. */
  'message:read': [{ readerId: number; peerId: number; upToId: number; readTime: number; origin: Origin }];
  /** How far the processing of an author's upload is, 0 to 100. */
  'video:progress': [{ videoId: number; authorId: number; percent: number; origin: Origin }];
  /** Processing is over and the video plays everywhere. */
  'video:ready': [{ video: VideoDoc; origin: Origin }];
  /** The upload cannot be processed. */
  'video:failed': [{ videoId: number; authorId: number; reason: string; origin: Origin }];
}

/**
 * Where a change came from, as its caller describes it; opaque to the domain, echoed in its events.
 * `mediaBase`: the base URL the caller's client uses for media; `socketId`: the socket that asked.
 */
export interface Origin {
  mediaBase?: string;
  socketId?: string;
}

export interface MessageRecord {
  id: number;
  fromUserId: number;
  toUserId: number;
  content: string;
  createdAt: number;
}

export interface CommentRecord {
  _id: number;
  videoId: number;
  userId: number;
  content: string;
  createdAt: number;
}

export const domainEvents = new EventEmitter<DomainEvents>();

/**
 * Whether a user may be listening for the events that concern them: the realtime gateway knows (a
 * single process knows its sockets); without one, or when it cannot tell, everyone may be. Events
 * whose payloads cost store reads (a like's counts, a follower's record) are built only then.
 */
let audience: (userId: number) => boolean = () => true;

export function decideAudience(check: ((userId: number) => boolean) | undefined): void {
  audience = check ?? (() => true);
}

export const mayListen = (userId: number): boolean => audience(userId);
