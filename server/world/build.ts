import pLimit from 'p-limit';
import { comments, favorites, messages, relations, users } from '../../models/index.js';
import { Comment } from '../../models/comment.js';
import { hashPassword } from '../../models/passwords.js';
import { User, usernameKey } from '../../models/user.js';
import { Video } from '../../models/video.js';
import type { MediaStorage } from '../../storage/media-storage.js';
import { monthDayFormatter } from '../http/dates.js';
import { publishClip } from './clip.js';

/** How many of each a world has: users, videos, and per user follows (both ways), likes, messages; per video comments. */
export interface WorldSizes {
  users: number;
  videos: number;
  follows: number;
  likes: number;
  comments: number;
  messages: number;
}

export const SEED_PASSWORD = 'seed-password';

export function seedUsername(index: number): string {
  return `seed_${String(index + 1).padStart(3, '0')}`;
}

/** How a step goes: `start` with its number of items, `tick` after each, `stop` at its end. */
export interface Progress {
  start(step: string, total: number): void;
  tick(): void;
  stop(): void;
}

export interface WorldOptions {
  media: MediaStorage;
  timeZone: string;
  progress?: Progress;
  /** Stops the build between two items. */
  signal?: AbortSignal;
  /** Items of a step in progress at once (DEFAULT_CONCURRENCY). */
  concurrency?: number;
}

/**
 * Enough operations in flight for the store's group commits (models/write-batch.ts) to carry many
 * writes per command: one at a time, a large world takes hours; beyond this, only queues grow.
 */
export const DEFAULT_CONCURRENCY = 64;
/** Clips are made by ffmpeg, a core each. */
const CLIP_CONCURRENCY = 2;

type Step = <T>(name: string, items: readonly T[], work: (item: T, index: number) => Promise<unknown>, concurrency?: number) => Promise<void>;

/**
 * Makes a small world through the domain operations: users `seed_001`... (password `seed-password`),
 * real clips with their covers, follows (each user and the next few follow each other: friends),
 * likes, comments and chats between neighbours. Idempotent: a second run with the same sizes adds
 * nothing, a larger one adds only the difference. One builder at a time (world-builds.ts).
 */
export async function buildWorld(size: WorldSizes, options: WorldOptions): Promise<{ users: number; videos: number }> {
  const step = stepper(options);
  const ids = await seedUsers(size.users, step);
  const videoIds = await seedVideos(size.videos, ids, step, options.media);
  await step('follows', pairs(ids, size.follows).flatMap(([a, b]) => [[a, b], [b, a]] as const), ([a, b]) => relations.follow(a, b, 1));
  await step('likes', pairs(ids, size.likes, videoIds), ([user, video]) => favorites.favorite(user, video, 1));
  const format = { mediaBase: '', formatDate: monthDayFormatter(options.timeZone) };
  const missing = await missingComments(videoIds, size.comments);
  await step('comments', missing, ([video, index, k]) => comments.addComment(ids[(index + k + 1) % ids.length]!, video, `Comment ${k + 1} on clip #${index + 1}`, format));
  // A conversation's messages go one after another (in order, as people chat); conversations at once.
  await step('chats', ids, (user, i) => seedChat(user, ids[(i + 1) % ids.length]!, size.messages));
  return { users: ids.length, videos: videoIds.length };
}

/** Runs a step's items `concurrency` at a time; after a failure (or an abort) the rest are skipped, and it throws once those in flight settle. */
function stepper({ progress, signal, concurrency = DEFAULT_CONCURRENCY }: WorldOptions): Step {
  return async (name, items, work, atOnce = concurrency) => {
    progress?.start(name, items.length);
    const limit = pLimit(atOnce);
    let failure: { error: unknown } | undefined;
    try {
      await Promise.all(items.map((item, index) => limit(async () => {
        if (failure) return;
        try {
          signal?.throwIfAborted();
          await work(item, index);
          progress?.tick();
        } catch (error) {
          failure ??= { error };
        }
      })));
    } finally {
      progress?.stop();
    }
    if (failure) throw failure.error;
  };
}

async function seedUsers(count: number, step: Step): Promise<number[]> {
  const names = Array.from({ length: count }, (_, i) => seedUsername(i));
  const ids: number[] = [];
  // Every seed user has the same password: argon2 (~50 ms of CPU by design) runs once, not per user.
  const password = { hash: await hashPassword(SEED_PASSWORD) };
  await step('users', names, async (name, i) => {
    const existing = await User.findOne({ usernameKey: usernameKey(name) }, { _id: 1 }).lean();
    ids[i] = existing?._id ?? (await users.register(name, password));
  });
  return ids;
}

async function seedVideos(count: number, authors: readonly number[], step: Step, media: MediaStorage): Promise<number[]> {
  const titles = Array.from({ length: count }, (_, i) => `Seed clip #${i + 1}`);
  const ids: number[] = [];
  await step('videos', titles, async (title, i) => {
    const authorId = authors[i % authors.length]!;
    const existing = await Video.findOne({ authorId, title }, { _id: 1 }).lean();
    ids[i] = existing?._id ?? (await publishClip(title, authorId, i, media));
  }, CLIP_CONCURRENCY);
  return ids;
}

/** Each of `ids` paired with the next `per` entries of `targets` (a ring): deterministic, so reruns repeat. */
function pairs(ids: readonly number[], per: number, targets: readonly number[] = ids): Array<[number, number]> {
  return ids.flatMap((id, i) =>
    Array.from({ length: Math.min(per, targets.length) }, (_, k) => [id, targets[(i + k + 1) % targets.length]!] as [number, number]),
  ).filter(([a, b]) => a !== b);
}

/** [video, its index, comment number] of each comment a video still lacks (comments have no key to find them by). */
async function missingComments(videoIds: readonly number[], count: number): Promise<Array<[number, number, number]>> {
  const have = await Promise.all(videoIds.map((videoId) => Comment.countDocuments({ videoId })));
  return videoIds.flatMap((video, index) => Array.from({ length: Math.max(0, count - have[index]!) }, (_, j) => [video, index, have[index]! + j] as [number, number, number]));
}

async function seedChat(a: number, b: number, count: number): Promise<void> {
  for (let k = 0; k < count; k += 1) {
    const [from, to] = k % 2 === 0 ? [a, b] : [b, a];
    await messages.sendMessage(from, to, `Hello #${k + 1} from seed`, { requireFriendship: false, clientMsgId: `seed-${a}-${b}-${k}` });
  }
}
