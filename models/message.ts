import mongoose, { Schema, type InferSchemaType } from 'mongoose';
import { fileHour } from './hour-index.js';

const messageSchema = new Schema(
  {
    _id: { type: Number, required: true },
    fromUserId: { type: Number, required: true },
    toUserId: { type: Number, required: true },
    /** The conversation: both user ids, smaller first ("12:34"). */
    pair: { type: String, required: true },
    content: { type: String, required: true },
    /** Epoch ms, distinct within a conversation so that "after this time" polling never skips a message. */
    createdAt: { type: Number, required: true },
    /** The hour of `createdAt` (hour-index.ts). */
    hour: { type: Number, required: true },
    /** "sender:client_msg_id" when the client gave one: a retry finds the original instead of sending twice. */
    dedupeKey: { type: String },
    /** The write-behind generation it was sent in (write-behind.ts): a recovery finds a dead process's last messages by it. */
    g: { type: Number },
  },
  { versionKey: false, collection: 'messages' },
);
messageSchema.index({ pair: 1, createdAt: 1 }, { unique: true }); // chat history and polling
messageSchema.index({ dedupeKey: 1 }, { unique: true, sparse: true });
messageSchema.index({ pair: 1, hour: 1 }); // history and catch-up of one conversation, hour by hour
messageSchema.index({ toUserId: 1, hour: 1 }); // catch-up of everything a user received
messageSchema.index({ fromUserId: 1, hour: 1 }); // ... and sent from another device

export type MessageDoc = InferSchemaType<typeof messageSchema>;
export const Message = mongoose.model('Message', messageSchema);

/**
 * The latest message of each conversation, kept on send, so friend lists need no per-friend query.
 * `latest` is replaced with `$max`: documents compare field by field, so the one with the highest
 * message `id` (its first field) wins whatever order concurrent sends land in.
 */
const conversationSchema = new Schema(
  {
    _id: { type: String, required: true },
    latest: {
      type: new Schema({ id: { type: Number, required: true }, fromUserId: { type: Number, required: true }, content: { type: String, required: true } }, { _id: false }),
      required: true,
    },
    /** The two users, smaller id first: a user's conversations are found by equality on either. */
    a: { type: Number },
    b: { type: Number },
    /**
     * How far each user has read (by user id): `{ id, at }`, the last message read and when. Only moves
     * forward: written with `$max`, the higher `id` (the first field) wins.
     */
    read: { type: Schema.Types.Mixed },
  },
  { versionKey: false, collection: 'conversations' },
);
conversationSchema.index({ a: 1 });
conversationSchema.index({ b: 1 });
export type ConversationDoc = InferSchemaType<typeof conversationSchema>;
export interface ReadPosition {
  id: number;
  at: number;
}

/** How far `userId` has read the conversation (0: nothing). */
export function readIdOf(conversation: ConversationDoc | undefined, userId: number): number {
  return (conversation?.read as Record<string, ReadPosition> | undefined)?.[String(userId)]?.id ?? 0;
}
export const Conversation = mongoose.model('Conversation', conversationSchema);

/** The hour directories (hour-index.ts) of a conversation and of everything a user sent and received. */
export const pairHours = (pair: string) => `pair:${pair}`;
export const userHours = (userId: number) => `user:${userId}`;

/** The directories a message's hour is filed in. */
export function hourKeysOf(message: Pick<MessageDoc, 'pair' | 'fromUserId' | 'toUserId'>): string[] {
  return [pairHours(message.pair), userHours(message.fromUserId), userHours(message.toUserId)];
}

/** Files a message's hour in its directories (the insert of those not known here to be filed). */
export async function fileMessageHours(message: Pick<MessageDoc, 'pair' | 'fromUserId' | 'toUserId' | 'hour'>): Promise<void> {
  await Promise.all(hourKeysOf(message).map((key) => fileHour(key, message.hour)));
}

export function pairKey(a: number, b: number): string {
  return a < b ? `${a}:${b}` : `${b}:${a}`;
}

/** The two users of a pair key. */
export function pairUsers(pair: string): [number, number] {
  const [a, b] = pair.split(':').map(Number);
  return [a!, b!];
}
