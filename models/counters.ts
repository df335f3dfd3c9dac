import type { Model } from 'mongoose';
import { forget, type Changes } from './caches.js';
import { Comment } from './comment.js';
import { Favorite } from './favorite.js';
import { Follow } from './follow.js';
import { othersShareStore } from './ids.js';
import { countEach, findIn } from './lookups.js';
import { User } from './user.js';
import { Video } from './video.js';
import { bulkWrite } from './write-batch.js';
import { betweenFolds, idsOf, pendingForRecount, type CounterTarget, type PendingDoc, type Unfolded } from './write-behind.js';

/**
 * Counters are written behind (write-behind.ts): each process folds the changes its writes made into
 * them, one update per document at a time. On MongoDB, where $inc is atomic, that keeps every counter
 * exact. FerretDB's updates are read-modify-write, so two processes folding into one document at once
 * can lose one change: there, when other processes share the store (they hold id worker leases),
 * every folded counter is also recounted from its edges shortly after activity on it stops.
 * `recountAll` repairs everything (after a change behind the server's back, say).
 */
const SETTLE_MS = 1_000;
const MAX_DELAY_MS = 5_000;

let readModifyWrite = false;
const pending = { users: new Set<number>(), videos: new Set<number>() };
let timer: NodeJS.Timeout | undefined;
let firstTouch = 0;

/** For stores whose $inc is not atomic: recounts when the store is shared. */
export function useReadModifyWriteUpdates(enabled: boolean): void {
  readModifyWrite = enabled;
}

/** On FerretDB, when other processes share the store: recounts these counters once activity on them settles. */
export function recountWhenShared(changes: Pick<Changes, 'users' | 'videos'>): void {
  if (!readModifyWrite) return;
  changes.users?.forEach((id) => pending.users.add(id));
  changes.videos?.forEach((id) => pending.videos.add(id));
  if (pending.users.size + pending.videos.size === 0) return;
  const now = Date.now();
  if (!timer) firstTouch = now;
  clearTimeout(timer);
  // Settle after a quiet second, but never wait more than a few seconds under constant activity.
  timer = setTimeout(() => void flush(), Math.min(SETTLE_MS, firstTouch + MAX_DELAY_MS - now)).unref();
}

/** Recounts what is pending now; resolves when done (also used at shutdown). */
export function flush(): Promise<void> {
  clearTimeout(timer);
  timer = undefined;
  const users = [...pending.users];
  const videos = [...pending.videos];
  pending.users.clear();
  pending.videos.clear();
  const nothing = { fixed: {}, later: {} };
  const recount = async () => (users.length + videos.length > 0 && (await othersShareStore()) ? recountSettled(users, videos) : nothing);
  return betweenFolds(recount).then(
    ({ fixed, later }) => {
      // A fold elsewhere between a recount's reads and its write is overwritten by it: whatever a
      // recount fixed is looked at once more after a quiet while, until a look finds nothing to fix.
      recountWhenShared(fixed);
      recountWhenShared(later);
    },
    () => recountWhenShared({ users, videos }), // the store is away: try again later
  );
}

/**
 * Recounts the targets no other process has changes to fold for (a record of theirs may be of a write
 * that changed nothing, a repeated like: subtracting it would leave the counter one short); the others
 * are left for later, once those processes have folded.
 */
async function recountSettled(users: readonly number[], videos: readonly number[]) {
  const unfolded = await pendingForRecount(() => false);
  const [readyUsers, laterUsers] = partition(users, (id) => !unfolded.elsewhere.has(`users:${id}`));
  const [readyVideos, laterVideos] = partition(videos, (id) => !unfolded.elsewhere.has(`videos:${id}`));
  const [fixedUsers, fixedVideos] = await Promise.all([
    recount(User, 'users', readyUsers, USER_COUNTERS, unfolded),
    recount(Video, 'videos', readyVideos, VIDEO_COUNTERS, unfolded),
  ]);
  return { fixed: { users: fixedUsers, videos: fixedVideos }, later: { users: laterUsers, videos: laterVideos } };
}

function partition<T>(items: readonly T[], test: (item: T) => boolean): [T[], T[]] {
  return [items.filter(test), items.filter((item) => !test(item))];
}

/** Recounts the counters of these targets; `resolving`: pending records this recount settles (not subtracted). */
export async function recountTargets(targets: readonly CounterTarget[], options: { resolving: (doc: PendingDoc) => boolean }): Promise<void> {
  const pendingChanges = await pendingForRecount(options.resolving);
  await Promise.all([recount(User, 'users', idsOf('users', targets), USER_COUNTERS, pendingChanges), recount(Video, 'videos', idsOf('videos', targets), VIDEO_COUNTERS, pendingChanges)]);
}

type CountSpec = { model: Model<any>; field: string; groupBy: string };

const USER_COUNTERS: Record<string, CountSpec> = {
  followCount: { model: Follow, field: 'followCount', groupBy: 'followerId' },
  followerCount: { model: Follow, field: 'followerCount', groupBy: 'followeeId' },
  favoriteCount: { model: Favorite, field: 'favoriteCount', groupBy: 'userId' },
  totalFavorited: { model: Favorite, field: 'totalFavorited', groupBy: 'authorId' },
  workCount: { model: Video, field: 'workCount', groupBy: 'authorId' },
};

const VIDEO_COUNTERS: Record<string, CountSpec> = {
  favoriteCount: { model: Favorite, field: 'favoriteCount', groupBy: 'videoId' },
  commentCount: { model: Comment, field: 'commentCount', groupBy: 'videoId' },
};

/** Sets the counters of these users from their edges; a fixed number of round trips for any number of ids. */
export async function recountUsers(ids: readonly number[]): Promise<number> {
  return (await recount(User, 'users', ids, USER_COUNTERS, await pendingForRecount(() => false))).length;
}

export async function recountVideos(ids: readonly number[]): Promise<number> {
  return (await recount(Video, 'videos', ids, VIDEO_COUNTERS, await pendingForRecount(() => false))).length;
}

/**
 * Sets the counters that differ from their edges, less the changes still to be folded into them (whose
 * edges may be counted already); returns the ids it fixed.
 */
async function recount(target: Model<any>, kind: 'users' | 'videos', ids: readonly number[], specs: Record<string, CountSpec>, { totals: unfolded }: Unfolded): Promise<number[]> {
  if (ids.length === 0) return [];
  const fields = Object.keys(specs);
  const [current, ...counts] = await Promise.all([
    findIn<Record<string, number>>(target, '_id', ids, Object.fromEntries(fields.map((field) => [field, 1 as const]))),
    ...fields.map((field) => countEach(specs[field]!.model, specs[field]!.groupBy, ids)),
  ]);
  const fixes = current.flatMap((doc) => {
    const toFold = unfolded.get(`${kind}:${doc._id!}`);
    const truth = Object.fromEntries(fields.map((field, i) => [field, (counts[i]!.get(doc._id!) ?? 0) - (toFold?.get(field) ?? 0)]));
    return fields.some((field) => doc[field] !== truth[field]) ? [{ id: doc._id!, truth }] : [];
  });
  if (fixes.length > 0) {
    await bulkWrite(target, fixes.map(({ id, truth }) => ({ updateOne: { filter: { _id: id }, update: { $set: truth } } })));
    forget({ [kind]: fixes.map((fix) => fix.id) });
  }
  return fixes.map((fix) => fix.id);
}

/** Recounts every counter; returns how many documents it fixed. */
export async function recountAll(batchSize = 500): Promise<{ users: number; videos: number }> {
  return betweenFolds(async () => ({
    users: await inBatches(User, batchSize, recountUsers),
    videos: await inBatches(Video, batchSize, recountVideos),
  }));
}

/** Walks every id of the collection once (one cursor), handing them to `work` in batches. */
async function inBatches(model: Model<any>, size: number, work: (ids: number[]) => Promise<number>): Promise<number> {
  let fixed = 0;
  let batch: number[] = [];
  for await (const doc of model.find({}, { _id: 1 }).lean<{ _id: number }>().cursor({ batchSize: size })) {
    batch.push(doc._id);
    if (batch.length === size) fixed += await work(batch.splice(0));
  }
  return batch.length > 0 ? fixed + (await work(batch)) : fixed;
}
