import mongoose, { Schema } from 'mongoose';
import type { CommentDoc } from './comment.js';

export const NOTIFICATION_TYPES = ['favorite', 'comment', 'follow'] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

/**
 * A notification is not stored on its own: it is the edge of the action it reports (a like, a follow,
 * a comment), which names its recipient already, and its id is the edge's (inbox.ts).
 */
export interface Notice {
  _id: number;
  recipientId: number;
  type: NotificationType;
  /** Who liked, commented or followed. */
  actorId: number;
  videoId?: number;
  comment?: CommentDoc & { _id: number };
  /** The actor and target ("favorite:<actor>:<video>", "comment:<comment>", "follow:<actor>:<followee>"): pushes of repeats are held back by it. */
  key: string;
}

/** How far each user has read their inbox: every notification up to `upTo` is read. */
const inboxReadSchema = new Schema(
  {
    _id: { type: Number, required: true },
    upTo: { type: Number, required: true },
  },
  { versionKey: false, collection: 'inbox_reads' },
);

export const InboxRead = mongoose.model('InboxRead', inboxReadSchema);
