import { cachedFeedHead, cachedUsers, FEED_HEAD_SIZE, forget, type FeedHead } from './caches.js';
import { Refusal } from './errors.js';
import { fileVideoHour, videosBefore } from './feed-hours.js';
import { hourOf } from './hour-index.js';
import { favoritedAmong } from './favorites.js';
import { isDuplicateKey } from './ids.js';
import type { UserDoc } from './user.js';
import { userExists, userViews } from './users.js';
import { Video, type VideoDoc } from './video.js';
import { mediaKeyUrl, mediaLinksGeneration, mediaRouteUrl } from './media-links.js';
import { EMPTY_USER, type VideoView } from './views.js';
import { countedRead, foldsIn } from './fold-gate.js';
import { changing, pendingCount } from './write-behind.js';
import { findIn } from './lookups.js';
import { domainEvents, type Origin } from './events.js';

export const FEED_PAGE_SIZE = 30;

export interface NewVideo {
  id: number;
  authorId: number;
  title: string;
  videoKey: string;
  coverKey: string;
  /** The cover is still to be made (coverMade says when it is). */
  coverPending?: boolean;
  /** `processing`: the upload is yet to become a video that plays everywhere (markPlayable); out of feeds until then. */
  state?: 'processing';
  duration?: number;
  width?: number;
  height?: number;
}

/** What a processed video holds, as played. */
export interface VideoMeta {
  duration: number;
  width: number;
  height: number;
}

/** Records a published video and counts it in its author's work_count. */
export async function publish(video: NewVideo): Promise<void> {
  const counters = [{ target: `users:${video.authorId}`, field: 'workCount', step: 1 }] as const;
  await changing({ counters }, async () => {
    await insertWithDistinctTime(video, Date.now());
    return true;
  }, { published: true });
}

/**
 * The processing video `id` now plays everywhere: it joins the feeds as of now (its publish time moves
 * to now, so that readers who paged past its upload time still find it on top). Done already (a
 * retry after a crash): only its metadata is written.
 */
export async function markPlayable(id: number, meta: VideoMeta): Promise<void> {
  const now = Date.now();
  for (let publishedAt = now; publishedAt < now + 1_000; publishedAt += 1) {
    await fileVideoHour(publishedAt);
    try {
      const { matchedCount } = await Video.updateOne({ _id: id, state: 'processing' }, { $set: { ...meta, publishedAt, feedHour: hourOf(publishedAt) }, $unset: { state: 1 } });
      if (matchedCount === 0) await Video.updateOne({ _id: id }, { $set: meta });
      forget({ videos: [id], published: true });
      return;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
  }
  throw new Error('no free publish time within a second');
}

/** The HLS renditions of video `id` are stored, with their master playlist under `masterKey`. */
export async function hlsMade(id: number, masterKey: string): Promise<void> {
  await Video.updateOne({ _id: id }, { $set: { hlsKey: masterKey } });
  forget({ videos: [id] });
}

/** Processing of video `id` is over and it plays: its author hears it (`video:ready`). */
export async function processed(id: number, origin: Origin): Promise<void> {
  const video = await Video.findById(id).lean<VideoDoc>();
  if (video && !video.state) domainEvents.emit('video:ready', { video, origin });
}

/**
 * Video `id` cannot be processed: it stays out of feeds, and its author sees why (`video:failed`).
 * `published`: it was in the feeds already (remuxed while its publish waited, found damaged since), and leaves them.
 */
export async function markFailed(id: number, authorId: number, reason: string, origin: Origin, { published = false } = {}): Promise<void> {
  await Video.updateOne(published ? { _id: id } : { _id: id, state: 'processing' }, { $set: { state: 'failed', failure: reason } });
  forget({ videos: [id] });
  domainEvents.emit('video:failed', { videoId: id, authorId, reason, origin });
}

/** Which of `ids` have a video record: one lookup for them all (lookups.ts says how on each store). */
export async function recordedAmong(ids: readonly number[]): Promise<Set<number>> {
  const found = await findIn<{ _id: number }>(Video, '_id', ids, { _id: 1 });
  return new Set(found.map((doc) => doc._id));
}

/** The cover of video `id` exists: its views link to it where the storage serves it. */
export async function coverMade(id: number): Promise<void> {
  await Video.updateOne({ _id: id, coverPending: true }, { $unset: { coverPending: 1 } });
  forget({ videos: [id] });
}

async function insertWithDistinctTime(video: NewVideo, now: number): Promise<void> {
  // Two videos published in the same millisecond: the unique index refuses the second, which takes the next one.
  for (let publishedAt = now; publishedAt < now + 1_000; publishedAt += 1) {
    await fileVideoHour(publishedAt);
    try {
      await Video.create({ ...video, _id: video.id, publishedAt, feedHour: hourOf(publishedAt) });
      return;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
  }
  throw new Error('no free publish time within a second');
}

export interface Page {
  /** Only videos published strictly before this time (epoch ms). */
  before?: number;
  limit: number;
}

export interface VideoPage {
  videos: readonly VideoView[];
  /** Publish time of the oldest video returned: the `before` of the next page. */
  nextTime: number | undefined;
}

/**
 * A video's publish time is taken just before it is stored: one stored this much later than its
 * time may be missing from a head loaded meanwhile, so pages up to then do not come from the head.
 */
const INSERT_GRACE_MS = 2_000;

/**
 * The newest videos of everyone. The first page (what the app asks for with latest_time = now) and
 * the pages below it, as far as the cache of the newest FEED_HEAD_SIZE videos reaches, come from that
 * cache; older pages walk back through the hours that have videos (hour-index.ts).
 */
export async function feed(page: Page, viewerId: number | undefined, mediaBase: string): Promise<VideoPage> {
  const before = page.before ?? Infinity;
  const head = await cachedFeedHead();
  // The first page is the newest as of at most CACHE_TTL_MS ago; older pages must be complete.
  const docs = before > head.loadedAt || before <= head.loadedAt - INSERT_GRACE_MS ? fromHead(head, before, page.limit) : undefined;
  if (!docs) {
    const older = await videosBefore(before, page.limit);
    return { videos: await videoViews(older, viewerId, mediaBase), nextTime: older.at(-1)?.publishedAt };
  }
  const isFirst = before > head.loadedAt && viewerId === undefined;
  const videos = isFirst ? await anonymousViews(head, docs, mediaBase) : await videoViews(docs, viewerId, mediaBase);
  return { videos, nextTime: docs.at(-1)?.publishedAt };
}

/** The newest `limit` videos before `before`, when the head surely holds them all. */
function fromHead(head: FeedHead, before: number, limit: number): VideoDoc[] | undefined {
  const docs = head.docs.filter((doc) => doc.publishedAt < before).slice(0, limit);
  return docs.length === limit || head.docs.length < FEED_HEAD_SIZE ? docs : undefined;
}

interface Built {
  mediaBase: string;
  /** Of the media links: presigned ones expire. */
  generation: number;
  docs: readonly VideoDoc[];
  authors: Map<number, UserDoc>;
  views: readonly VideoView[];
}
const builtForAnonymous = new WeakMap<FeedHead, Built>();

/**
 * Views of the cached head for readers without an account, built once while the head, the media base
 * and links, and the authors' cached records stay the same, and frozen so that the envelope serializes them once.
 */
async function anonymousViews(head: FeedHead, docs: readonly VideoDoc[], mediaBase: string): Promise<readonly VideoView[]> {
  const authors = await cachedUsers(docs.map((doc) => doc.authorId));
  const built = builtForAnonymous.get(head);
  const generation = mediaLinksGeneration();
  const unchanged = built?.mediaBase === mediaBase && built.generation === generation && sameEntries(built.docs, docs) && built.authors.size === authors.size &&
    [...authors].every(([id, doc]) => built.authors.get(id) === doc);
  if (unchanged) return built.views;
  const views = Object.freeze(await videoViews(docs, undefined, mediaBase));
  builtForAnonymous.set(head, { mediaBase, generation, docs, authors, views });
  return views;
}

function sameEntries<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

/** The videos `authorId` published, newest first; those still processing or failed only to their author. */
export async function publishedBy(authorId: number, page: Page, viewerId: number | undefined, mediaBase: string): Promise<VideoPage> {
  if (!(await userExists(authorId))) throw new Refusal('USER_NOT_FOUND');
  const query = {
    authorId,
    ...(page.before === undefined ? {} : { publishedAt: { $lt: page.before } }),
    ...(viewerId === authorId ? {} : { state: { $exists: false } }),
  };
  const docs = await countedRead(() => Video.find(query).sort({ publishedAt: -1 }).limit(page.limit).lean());
  return { videos: await videoViews(docs, viewerId, mediaBase), nextTime: docs.at(-1)?.publishedAt };
}

/** Views of these videos with their authors and the viewer's flags: three round trips for any number. */
export async function videoViews(docs: readonly VideoDoc[], viewerId: number | undefined, mediaBase: string): Promise<VideoView[]> {
  const [authors, liked] = await Promise.all([
    userViews(docs.map((doc) => doc.authorId), viewerId, mediaBase),
    favoritedAmong(viewerId, docs.map((doc) => doc._id)),
  ]);
  const links = await Promise.all(docs.map((doc) => Promise.all([
    mediaKeyUrl(mediaBase, doc.videoKey),
    doc.coverPending ? mediaRouteUrl(mediaBase, doc.coverKey) : mediaKeyUrl(mediaBase, doc.coverKey),
  ])));
  return docs.map((doc, i) => ({
    id: doc._id,
    author: authors.get(doc.authorId) ?? EMPTY_USER,
    play_url: links[i]![0],
    cover_url: links[i]![1],
    favorite_count: doc.favoriteCount + pendingCount(`videos:${doc._id}`, 'favoriteCount', foldsIn(doc)),
    comment_count: doc.commentCount + pendingCount(`videos:${doc._id}`, 'commentCount', foldsIn(doc)),
    is_favorite: liked.has(doc._id),
    title: doc.title,
    state: doc.state ?? 'ready',
    failure: doc.failure ?? '',
    hls_url: doc.hlsKey ? mediaRouteUrl(mediaBase, doc.hlsKey) : '',
    duration: doc.duration ?? 0,
    width: doc.width ?? 0,
    height: doc.height ?? 0,
  }));
}
