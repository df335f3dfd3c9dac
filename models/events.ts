import { EventEmitter } from 'node:events';

/**
 * What the domain reports after a write is persisted, for the realtime gateway to deliver. Payloads
 * carry ids and counts, not views: the deliverer builds each recipient's view.
 */
export interface DomainEvents {
  'message:created': [{ message: MessageRecord }];
  'follow:changed': [{ followerId: number; followeeId: number; actionType: 1 | 2; isFriend: boolean }];
  'favorite:added': [{ videoId: number; userId: number; authorId: number }];
  'comment:added': [{ videoId: number; commentId: number; userId: number; authorId: number }];
}

export interface MessageRecord {
  id: number;
  fromUserId: number;
  toUserId: number;
  content: string;
  createdAt: number;
}

export const domainEvents = new EventEmitter<DomainEvents>();
