import type { Model } from 'mongoose';
import { Comment } from './comment.js';
import { Favorite } from './favorite.js';
import { Follow } from './follow.js';
import { fileShelves, shelfOf, shelvesOf, shelveAt, sizes, type ListName } from './shelves.js';
import { setEach } from './upgrades.js';
import { Video } from './video.js';

interface UnshelvedList {
  list: ListName;
  model: Model<any>;
  owner: string;
  shelf: string;
  /** Entries stored before they named their owner find it by their video (a comment's video author). */
  ownerByVideo?: true;
}

const LISTS: readonly UnshelvedList[] = [
  { list: 'comments', model: Comment, owner: 'videoId', shelf: 'shelf' },
  { list: 'likes', model: Favorite, owner: 'userId', shelf: 'shelf' },
  { list: 'follows', model: Follow, owner: 'followerId', shelf: 'followShelf' },
  { list: 'followers', model: Follow, owner: 'followeeId', shelf: 'followerShelf' },
];

/** What authors received, which their inboxes show (inbox.ts): these lists came later. */
export const RECEIVED_LISTS: readonly UnshelvedList[] = [
  { list: 'liked', model: Favorite, owner: 'authorId', shelf: 'authorShelf' },
  { list: 'commented', model: Comment, owner: 'authorId', shelf: 'authorShelf', ownerByVideo: true },
];

/**
 * Files the entries stored before lists had shelves: an owner with shelveAt() entries or more gets
 * shelves of `sizes.shelf` entries in the past (oldest first, the last one open), every other owner's
 * entries go to shelf 0. Idempotent: shelves begun by an interrupted run are kept and followed.
 */
export async function fileUnshelvedEntries(lists = LISTS): Promise<void> {
  for (const spec of lists) {
    const unfiled = await spec.model.find({ [spec.shelf]: { $exists: false } }, { [spec.owner]: 1, videoId: 1 }).lean<Array<Record<string, number>>>();
    const authors = spec.ownerByVideo && unfiled.some((doc) => doc[spec.owner] === undefined) ? await videoAuthors() : undefined;
    const byOwner = new Map<number, number[]>();
    for (const doc of unfiled) {
      const owner = doc[spec.owner] ?? authors?.get(doc.videoId!);
      if (owner === undefined) continue; // its video is gone
      const ids = byOwner.get(owner) ?? [];
      ids.push(doc._id!);
      byOwner.set(owner, ids);
    }
    const changes: Array<{ _id: number; set: Record<string, unknown> }> = [];
    for (const [owner, unsorted] of byOwner) {
      const ids = unsorted.sort((a, b) => a - b);
      if (ids.length >= shelveAt()) await fileShelves(spec.list, owner, ids.filter((_, i) => i > 0 && i % sizes.shelf === 0));
      const froms = (await shelvesOf(spec.list, owner)) ?? [];
      for (const _id of ids) changes.push({ _id, set: { [spec.owner]: owner, [spec.shelf]: `${owner}:${shelfOf(froms, _id)}` } });
    }
    await setEach(spec.model, changes);
  }
}

async function videoAuthors(): Promise<Map<number, number>> {
  const videos = await Video.find({}, { authorId: 1 }).lean<Array<{ _id: number; authorId: number }>>();
  return new Map(videos.map((video) => [video._id, video.authorId]));
}
