import mongoose, { Schema, type InferSchemaType } from 'mongoose';

const counter = { type: Number, default: 0, min: 0 };

const videoSchema = new Schema(
  {
    _id: { type: Number, required: true },
    authorId: { type: Number, required: true },
    title: { type: String, required: true },
    /** Publish time in epoch ms, distinct per video so that feed paging by time has no gaps or repeats. */
    publishedAt: { type: Number, required: true },
    /** The hour of `publishedAt` (hour-index.ts). */
    feedHour: { type: Number, required: true },
    videoKey: { type: String, required: true },
    coverKey: { type: String, required: true },
    /** Set while the cover is being made: clients get the server's /media/ route, which has a placeholder. */
    coverPending: { type: Boolean },
    /** Unset once the video plays everywhere (the feed shows only those); `processing` until then, or `failed`. */
    state: { type: String, enum: ['processing', 'failed'] },
    /** Why processing failed, for its author. */
    failure: { type: String },
    /** As played: seconds, pixels. */
    duration: { type: Number },
    width: { type: Number },
    height: { type: Number },
    /** The master playlist of the HLS renditions, once they are stored. */
    hlsKey: { type: String },
    favoriteCount: counter,
    commentCount: counter,
  },
  { versionKey: false, collection: 'videos' },
);
videoSchema.index({ publishedAt: -1 }, { unique: true }); // the feed
videoSchema.index({ authorId: 1, publishedAt: -1 }); // a user's publish list
videoSchema.index({ feedHour: 1 }); // feed pages older than the cached head

export type VideoDoc = InferSchemaType<typeof videoSchema>;
export const Video = mongoose.model('Video', videoSchema);
