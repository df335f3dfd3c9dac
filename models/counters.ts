import type { Model } from 'mongoose';
import { forget, type Changes } from './caches.js';
import { Comment } from './comment.js';
import { Favorite } from './favorite.js';
import { Follow } from './follow.js';
import { othersShareStore } from './ids.js';
import { inTurn } from './in-turn.js';
import { countEach, findIn } from './lookups.js';
import { User, type UserDoc, type UserRecord } from './user.js';
import { Video, type VideoDoc } from './video.js';

/**
 * Counters are kept with $inc after the edge they count is written: exactly one request wins each
 * edge change (unique indexes), so on MongoDB, where $inc is atomic, each counter is exact once the
 * requests that changed it have answered. FerretDB's updates are read-modify-write, so two concurrent
 * $inc on one document can lose one: there a process makes its increments of one document one at a
 * time, which is exact while it is the only process on the store; when other processes share the
 * store (they hold id worker leases), every touched counter is also recounted from its edges shortly
 * after activity on it stops. `recountAll` repairs everything (after a crash, say).
 */
const SETTLE_MS = 1_000;
const MAX_DELAY_MS = 5_000;

let readModifyWrite = false;
const pending = { users: new Set<number>(), videos: new Set<number>() };
let timer: NodeJS.Timeout | undefined;
let firstTouch = 0;
let running: Promise<void> = Promise.resolve();

/** For stores whose $inc is not atomic: one increment of a document at a time, and recounts when the store is shared. */
export function useReadModifyWriteUpdates(enabled: boolean): void {
  readModifyWrite = enabled;
}

/** Notes what an operation changed: caches forget it, and counters changed with $inc may be recounted. */
export function touched(changes: Changes): void {
  forget(changes);
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
  const recount = async () => (users.length + videos.length > 0 && (await othersShareStore()) ? Promise.all([recountUsers(users), recountVideos(videos)]) : undefined);
  running = running.then(recount).then(
    () => undefined,
    () => touched({ users, videos }), // the store is away: try again later
  );
  return running;
}

/**
 * $inc that never takes a counter below zero; resolves to the user's record as the increment left it
 * (null when the user is gone or the counter was at zero), for events that report it.
 */
export async function incrementUser(userId: number, field: string, step: 1 | -1): Promise<UserRecord | null> {
  // FerretDB's findAndModify takes no projection, not even the schema's own exclusion of the password
  // hash: the whole record comes back and the hash is dropped here.
  const update = () => User.findOneAndUpdate(nonNegative(userId, field, step), { $inc: { [field]: step } }, { new: true }).select('+passwordHash').lean<UserDoc>();
  const user = await increment(`users:${userId}`, update);
  if (!user) return null;
  const { passwordHash: _, ...record } = user;
  return record;
}

/** The same for a video; resolves to the counter's new value (undefined when the video is gone or it was at zero). */
export async function incrementVideo(videoId: number, field: 'favoriteCount' | 'commentCount', step: 1 | -1): Promise<number | undefined> {
  const video = await increment(`videos:${videoId}`, () => Video.findOneAndUpdate(nonNegative(videoId, field, step), { $inc: { [field]: step } }, { new: true }).lean<VideoDoc>());
  return video?.[field];
}

function increment<T>(key: string, update: () => Promise<T>): Promise<T> {
  return readModifyWrite ? inTurn(key, update) : update();
}

function nonNegative(id: number, field: string, step: 1 | -1) {
  return step < 0 ? { _id: id, [field]: { $gt: 0 } } : { _id: id };
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
  const fixed = await recount(User, ids, USER_COUNTERS);
  if (fixed.length > 0) forget({ users: fixed });
  return fixed.length;
}

export async function recountVideos(ids: readonly number[]): Promise<number> {
  const fixed = await recount(Video, ids, VIDEO_COUNTERS);
  if (fixed.length > 0) forget({ videos: fixed });
  return fixed.length;
}

/** Sets the counters that differ from their edges; returns the ids it fixed. */
async function recount(target: Model<any>, ids: readonly number[], specs: Record<string, CountSpec>): Promise<number[]> {
  if (ids.length === 0) return [];
  const fields = Object.keys(specs);
  const [current, ...counts] = await Promise.all([
    findIn<Record<string, number>>(target, '_id', ids, Object.fromEntries(fields.map((field) => [field, 1 as const]))),
    ...fields.map((field) => countEach(specs[field]!.model, specs[field]!.groupBy, ids)),
  ]);
  const fixes = current.flatMap((doc) => {
    const truth = Object.fromEntries(fields.map((field, i) => [field, counts[i]!.get(doc._id!) ?? 0]));
    return fields.some((field) => doc[field] !== truth[field]) ? [{ id: doc._id!, truth }] : [];
  });
  if (fixes.length > 0) {
    const operations = fixes.map(({ id, truth }) => ({ updateOne: { filter: { _id: id }, update: { $set: truth } } }));
    await target.bulkWrite(operations, { ordered: false });
  }
  return fixes.map((fix) => fix.id);
}

/** Recounts every counter; returns how many documents it fixed. */
export async function recountAll(batchSize = 500): Promise<{ users: number; videos: number }> {
  return {
    users: await inBatches(User, batchSize, recountUsers),
    videos: await inBatches(Video, batchSize, recountVideos),
  };
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
