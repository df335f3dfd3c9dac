import mongoose, { Schema, type InferSchemaType } from 'mongoose';

/**
 * A video still to process, kept in the store so that any process takes it up, after a restart too.
 * Removed once done or given up (a final failure is kept on the video).
 */
const jobSchema = new Schema(
  {
    /** The video's id. */
    _id: { type: Number, required: true },
    authorId: { type: Number, required: true },
    /** `mp4`: the upload waits in `sourceKey` to become the video's MP4; `hls`: the MP4 plays, its HLS renditions are to make. */
    stage: { type: String, enum: ['mp4', 'hls'], required: true },
    sourceKey: { type: String },
    videoKey: { type: String, required: true },
    /** The base of media URLs the publishing client used, for the events the job's end pushes. */
    mediaBase: { type: String },
    /** Epoch ms it was queued. */
    createdAt: { type: Number, required: true },
    /** Attempts begun, a process that died in one included. */
    attempts: { type: Number, required: true, default: 0 },
    /** Epoch ms before which the job is not taken (retries back off). */
    nextAt: { type: Number, required: true },
    lastError: { type: String },
  },
  { versionKey: false, collection: 'transcode_jobs' },
);

/**
 * Who works on a job, until when: taken by inserting it (unique `_id`, atomic on every MongoDB-protocol
 * store), renewed while ffmpeg runs, taken over once expired or once its process is gone.
 */
const leaseSchema = new Schema(
  {
    _id: { type: Number, required: true },
    owner: { type: String, required: true },
    expiresAt: { type: Number, required: true },
  },
  { versionKey: false, collection: 'transcode_leases' },
);

export type TranscodeJobDoc = InferSchemaType<typeof jobSchema>;
export const TranscodeJob = mongoose.model('TranscodeJob', jobSchema);
export const TranscodeLease = mongoose.model('TranscodeLease', leaseSchema);
