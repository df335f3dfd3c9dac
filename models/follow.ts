import mongoose, { Schema } from 'mongoose';
import { findIn } from './lookups.js';

const followSchema = new Schema(
  {
    _id: { type: Number, required: true },
    followerId: { type: Number, required: true },
    followeeId: { type: Number, required: true },
    /** True while the followee follows back: the two are friends. Kept on both edges. */
    mutual: { type: Boolean, default: false },
  },
  { versionKey: false, collection: 'follows' },
);
// One edge per pair; also answers "whom does the viewer follow among these users".
followSchema.index({ followerId: 1, followeeId: 1 }, { unique: true });
followSchema.index({ followerId: 1, _id: -1 }); // follow list, newest first
followSchema.index({ followeeId: 1, _id: -1 }); // follower list
followSchema.index({ followerId: 1, mutual: 1, _id: -1 }); // friend list

export const Follow = mongoose.model('Follow', followSchema);

/** The subset of `userIds` that `viewerId` follows, in one round trip. */
export async function followedAmong(viewerId: number | undefined, userIds: readonly number[]): Promise<Set<number>> {
  if (viewerId === undefined || userIds.length === 0) return new Set();
  const edges = await findIn<{ followeeId: number }>(Follow, 'followeeId', userIds, { followeeId: 1, _id: 0 }, { followerId: viewerId });
  return new Set(edges.map((edge) => edge.followeeId));
}
