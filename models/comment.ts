import mongoose, { Schema, type InferSchemaType } from 'mongoose';

const commentSchema = new Schema(
  {
    _id: { type: Number, required: true },
    videoId: { type: Number, required: true },
    userId: { type: Number, required: true },
    content: { type: String, required: true },
    createdAt: { type: Number, required: true },
    /** "author:client_comment_id" when the client gave one: a retry finds the original instead of commenting twice. */
    dedupeKey: { type: String },
    /** `<videoId>:<k>`: its shelf in the video's comments (shelves.ts). */
    shelf: { type: String },
    /** The video's author, whose inbox shows the comment (inbox.ts), and its shelf among the comments they received. */
    authorId: { type: Number },
    authorShelf: { type: String },
  },
  { versionKey: false, collection: 'comments' },
);
commentSchema.index({ videoId: 1, _id: -1 }); // comment list, newest first; recount
commentSchema.index({ dedupeKey: 1 }, { unique: true, sparse: true });
commentSchema.index({ shelf: 1 }); // a page of a popular video
commentSchema.index({ authorId: 1 }); // the comments an author received
commentSchema.index({ authorShelf: 1 }); // ... the newest of them, for a popular author

export type CommentDoc = InferSchemaType<typeof commentSchema>;
export const Comment = mongoose.model('Comment', commentSchema);
