import type { Model } from 'mongoose';
import { Comment } from './comment.js';
import { Favorite } from './favorite.js';
import { Follow } from './follow.js';
import { fileShelves, shelfOf, shelvesOf, shelveAt, sizes, type ListName } from './shelves.js';
import { setEach } from './upgrades.js';

const LISTS: ReadonlyArray<{ list: ListName; model: Model<any>; owner: string; shelf: string }> = [
  { list: 'comments', model: Comment, owner: 'videoId', shelf: 'shelf' },
  { list: 'likes', model: Favorite, owner: 'userId', shelf: 'shelf' },
  { list: 'follows', model: Follow, owner: 'followerId', shelf: 'followShelf' },
  { list: 'followers', model: Follow, owner: 'followeeId', shelf: 'followerShelf' },
];

/**
 * Files the entries stored before lists had shelves: an owner with shelveAt() entries or more gets
 * shelves of `sizes.shelf` entries in the past (oldest first, the last one open), every other owner's
 * entries go to shelf 0. Idempotent: shelves begun by an interrupted run are kept and followed.
 */
export async function fileUnshelvedEntries(): Promise<void> {
  for (const spec of LISTS) {
    const unfiled = await spec.model.find({ [spec.shelf]: { $exists: false } }, { [spec.owner]: 1 }).lean<Array<Record<string, number>>>();
    const byOwner = new Map<number, number[]>();
    for (const doc of unfiled) {
      const ids = byOwner.get(doc[spec.owner]!) ?? [];
      ids.push(doc._id!);
      byOwner.set(doc[spec.owner]!, ids);
    }
    const changes: Array<{ _id: number; set: Record<string, unknown> }> = [];
    for (const [owner, unsorted] of byOwner) {
      const ids = unsorted.sort((a, b) => a - b);
      if (ids.length >= shelveAt()) await fileShelves(spec.list, owner, ids.filter((_, i) => i > 0 && i % sizes.shelf === 0));
      const froms = (await shelvesOf(spec.list, owner)) ?? [];
      for (const _id of ids) changes.push({ _id, set: { [spec.shelf]: `${owner}:${shelfOf(froms, _id)}` } });
    }
    await setEach(spec.model, changes);
  }
}
