import { fileHour, hourOf, hoursOf, walkHours } from './hour-index.js';
import { countedRead } from './fold-gate.js';
import { findIn } from './lookups.js';
import { setEach } from './upgrades.js';
import { Video, type VideoDoc } from './video.js';

/** The feed by hour (hour-index.ts): every video carries `feedHour`, the directory's key is "feed". */
const FEED = 'feed';

/** Files a video's hour; called before the video is stored. */
export function fileVideoHour(publishedAt: number): Promise<void> {
  return fileHour(FEED, hourOf(publishedAt));
}

/** The newest `limit` videos published before `before` (epoch ms) that play (not processing, nor failed). */
export async function videosBefore(before: number, limit: number): Promise<VideoDoc[]> {
  const hours = await hoursOf(FEED, hourOf(Math.min(before, Date.now() + 1)), 'newest first');
  const read = async (batch: number[]) => {
    const videos = await countedRead(() => findIn<VideoDoc>(Video, 'feedHour', batch));
    return videos.filter((video) => video.publishedAt < before && !video.state).sort((a, b) => b.publishedAt - a.publishedAt);
  };
  return (await walkHours(hours, read, (found) => found.length >= limit)).slice(0, limit);
}

/** Files the videos stored before the feed had hours; idempotent. */
export async function fileUnfiledVideos(): Promise<void> {
  const unfiled = await Video.find({ feedHour: { $exists: false } }, { publishedAt: 1 }).lean<Array<{ _id: number; publishedAt: number }>>();
  for (const hour of new Set(unfiled.map((video) => hourOf(video.publishedAt)))) await fileHour(FEED, hour);
  await setEach(Video, unfiled.map((video) => ({ _id: video._id, set: { feedHour: hourOf(video.publishedAt) } })));
}
