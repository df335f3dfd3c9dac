import mongoose, { Schema, type InferSchemaType } from 'mongoose';

const counter = { type: Number, default: 0, min: 0 };

const userSchema = new Schema(
  {
    _id: { type: Number, required: true },
    username: { type: String, required: true },
    /** The username folded for comparison: "Alice" and "alice" are one account. */
    usernameKey: { type: String, required: true, unique: true },
    /**
     * Its confusable skeleton (look-alikes.ts): a name that looks like a taken one is refused, and the
     * unique index lets one of two look-alikes registered at once win. Filed at start for older users.
     */
    usernameSkeleton: { type: String, unique: true },
    passwordHash: { type: String, required: true, select: false },
    avatar: String,
    backgroundImage: String,
    signature: String,
    followCount: counter,
    followerCount: counter,
    totalFavorited: counter,
    workCount: counter,
    favoriteCount: counter,
  },
  { versionKey: false, collection: 'users' },
);

export type UserDoc = InferSchemaType<typeof userSchema>;
/** A user's record as it is read and passed around: without the password hash. */
export type UserRecord = Omit<UserDoc, 'passwordHash'>;
export const User = mongoose.model('User', userSchema);

export function usernameKey(username: string): string {
  return username.normalize('NFKC').toLowerCase();
}
