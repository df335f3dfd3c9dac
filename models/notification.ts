import mongoose, { Schema, type InferSchemaType } from 'mongoose';

export const NOTIFICATION_TYPES = ['favorite', 'comment', 'follow'] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

const notificationSchema = new Schema(
  {
    /** An id like every other: it says when the notification was made, and inboxes sort and page by it. */
    _id: { type: Number, required: true },
    recipientId: { type: Number, required: true },
    type: { type: String, enum: NOTIFICATION_TYPES, required: true },
    /** Who liked, commented or followed. */
    actorId: { type: Number, required: true },
    videoId: Number,
    commentId: Number,
    /**
     * What the notification reports, one per actor and target ("favorite:<actor>:<video>",
     * "comment:<comment>", "follow:<actor>:<followee>"): a repeat, concurrent or not, cannot store a second.
     */
    key: { type: String, required: true },
    read: { type: Boolean, default: false },
  },
  { versionKey: false, collection: 'notifications' },
);
notificationSchema.index({ key: 1 }, { unique: true }); // no duplicates; withdrawing on undo
notificationSchema.index({ recipientId: 1, _id: -1 }); // the inbox: lists, catch-up, unread count, trimming

export type NotificationDoc = InferSchemaType<typeof notificationSchema>;
export const Notification = mongoose.model('Notification', notificationSchema);
