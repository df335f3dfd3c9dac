import mongoose, { Schema } from 'mongoose';

const followSchema = new Schema(
  {
    _id: { type: Number, required: true },
    followerId: { type: Number, required: true },
    followeeId: { type: Number, required: true },
    /** `<followerId>:<k>` and `<followeeId>:<k>`: its shelves in the follow and follower lists (shelves.ts). */
    followShelf: { type: String },
    followerShelf: { type: String },
  },
  { versionKey: false, collection: 'follows' },
);
// One edge per pair; also answers "whom does the viewer follow among these users".
followSchema.index({ followerId: 1, followeeId: 1 }, { unique: true });
followSchema.index({ followerId: 1, _id: -1 }); // follow list, newest first
followSchema.index({ followeeId: 1, _id: -1 }); // follower list
followSchema.index({ followShelf: 1 }); // pages of popular owners
followSchema.index({ followerShelf: 1 });

export const Follow = mongoose.model('Follow', followSchema);

