import mongoose, { Schema } from 'mongoose';

const favoriteSchema = new Schema(
  {
    _id: { type: Number, required: true },
    userId: { type: Number, required: true },
    videoId: { type: Number, required: true },
    /** The video's author, so that total_favorited can be recounted without a join. */
    authorId: { type: Number, required: true },
    /** `<userId>:<k>`: its shelf in the user's likes (shelves.ts). */
    shelf: { type: String },
    /** `<authorId>:<k>`: its shelf in the likes the author received, which their inbox shows (inbox.ts). */
    authorShelf: { type: String },
  },
  { versionKey: false, collection: 'favorites' },
);
// One like per user and video; also answers "which of these videos does the viewer like".
favoriteSchema.index({ userId: 1, videoId: 1 }, { unique: true });
favoriteSchema.index({ userId: 1, _id: -1 }); // favorite list, newest like first
favoriteSchema.index({ videoId: 1 }); // recount of a video's favorite_count
favoriteSchema.index({ authorId: 1 }); // recount of an author's total_favorited; the likes an author received
favoriteSchema.index({ shelf: 1 }); // a page of a user with many likes
favoriteSchema.index({ authorShelf: 1 }); // the newest likes of a popular author

export const Favorite = mongoose.model('Favorite', favoriteSchema);

