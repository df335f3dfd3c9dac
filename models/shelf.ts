import mongoose, { Schema } from 'mongoose';

/**
 * Where an owner's shelf begins: shelf `k` (from 1) of list `list` of `owner` holds the entries with
 * ids from `from` up to the next shelf's `from`; shelf 0 holds those before shelf 1's. Shelf 1's
 * record says the owner is shelved. `tick` (ten-second steps of its creation) lets every process
 * read the shelves begun since it last looked with one equality query.
 */
const shelfSchema = new Schema(
  {
    _id: { type: String, required: true },
    key: { type: String, required: true },
    k: { type: Number, required: true },
    from: { type: Number, required: true },
    tick: { type: Number, required: true },
  },
  { versionKey: false, collection: 'shelves' },
);
shelfSchema.index({ key: 1 }); // an owner's shelves
shelfSchema.index({ tick: 1 }); // shelves begun lately
shelfSchema.index({ k: 1 }); // the shelved owners, at start

export interface ShelfDoc {
  _id: string;
  key: string;
  k: number;
  from: number;
  tick: number;
}
export const Shelf = mongoose.model('Shelf', shelfSchema);
