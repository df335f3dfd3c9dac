import mongoose, { Schema, type InferSchemaType } from 'mongoose';

const commentSchema = new Schema(
  {
    _id: { type: Number, required: true },
    videoId: { type: Number, required: true },
    userId: { type: Number, required: true },
    content: { type: String, required: true },
    createdAt: { type: Number, required: true },
  },
  { versionKey: false, collection: 'comments' },
);
commentSchema.index({ videoId: 1, _id: -1 }); // comment list, newest first; recount

export type CommentDoc = InferSchemaType<typeof commentSchema>;
export const Comment = mongoose.model('Comment', commentSchema);
