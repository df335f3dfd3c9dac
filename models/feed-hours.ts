import mongoose, { Schema } from 'mongoose';
import pLimit from 'p-limit';
import { isDuplicateKey } from './ids.js';
import { findIn } from './lookups.js';
import { Video, type VideoDoc } from './video.js';

/**
 * The feed's index of time. Every video is filed under the hour it was published in (`feedHour`) and
 * `feed_hours` lists the hours that have videos, so a page of "the newest videos before t" reads the
 * videos of the few hours just before t, one equality query per hour, instead of every video
 * (FerretDB sorts in Go). Only pages older than the cached head of the feed come here.
 */
export const FEED_HOUR_MS = 3_600_000;

/**
 * A new hour is added to the directory on the process that publishes in it; elsewhere the directory is
 * reloaded this often, which is soon enough: videos that recent are in the feed's head.
 */
const DIRECTORY_TTL_MS = 60_000;

/** Hours read at once in the first step back in time; each further step reads twice as many. */
const FIRST_STEP_HOURS = 4;

const FeedHour = mongoose.model('FeedHour', new Schema({ _id: { type: Number, required: true } }, { versionKey: false, collection: 'feed_hours' }));

export const hourOf = (epochMs: number): number => Math.floor(epochMs / FEED_HOUR_MS);

let directory: { expires: number; hours: Promise<Set<number>> } | undefined;

function hoursWithVideos(): Promise<Set<number>> {
  const now = Date.now();
  if (!directory || directory.expires <= now) {
    const entry = { expires: now + DIRECTORY_TTL_MS, hours: loadHours() };
    entry.hours.catch(() => {
      if (directory === entry) directory = undefined;
    });
    directory = entry;
  }
  return directory.hours;
}

async function loadHours(): Promise<Set<number>> {
  const hours = await FeedHour.find({}).lean<Array<{ _id: number }>>();
  return new Set(hours.map((hour) => hour._id));
}

/** Files `hour` in the directory; called before its first video is stored, so that no reader misses it. */
export async function fileHour(hour: number): Promise<void> {
  if ((await hoursWithVideos()).has(hour)) return;
  try {
    await FeedHour.create({ _id: hour });
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
  }
  (await hoursWithVideos()).add(hour);
}

/** The newest `limit` videos published before `before` (epoch ms), walking back hour by hour. */
export async function videosBefore(before: number, limit: number): Promise<VideoDoc[]> {
  const hours = [...(await hoursWithVideos())].filter((hour) => hour <= hourOf(before)).sort((a, b) => b - a);
  const found: VideoDoc[] = [];
  // Steps grow so that a sparse past (a video a day) costs a few round trips, not one per hour.
  for (let start = 0, step = FIRST_STEP_HOURS; start < hours.length && found.length < limit; start += step, step *= 2) {
    const videos = await findIn<VideoDoc>(Video, 'feedHour', hours.slice(start, start + step));
    found.push(...videos.filter((video) => video.publishedAt < before).sort((a, b) => b.publishedAt - a.publishedAt));
  }
  return found.slice(0, limit);
}

/** Files the videos stored before feed hours existed; idempotent. */
export async function fileUnfiledVideos(): Promise<void> {
  const unfiled = await Video.find({ feedHour: { $exists: false } }, { publishedAt: 1 }).lean<Array<{ _id: number; publishedAt: number }>>();
  const hours = [...new Set(unfiled.map((video) => hourOf(video.publishedAt)))];
  for (const hour of hours) await fileHour(hour);
  // One update per command, a few at a time: FerretDB makes each a transaction of its own, and a
  // command of thousands would outlast the store's reply timeout.
  const limit = pLimit(8);
  await Promise.all(unfiled.map((video) => limit(() => Video.updateOne({ _id: video._id }, { $set: { feedHour: hourOf(video.publishedAt) } }))));
}
