import { comments, favorites, messages, relations, users } from '../../models/index.js';
import { Comment } from '../../models/comment.js';
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
}

type Step = <T>(name: string, items: readonly T[], work: (item: T, index: number) => Promise<unknown>) => Promise<void>;

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
  await step('comments', videoIds, (video, i) => seedComments(video, ids, i, size.comments, format));
  await step('chats', ids, (user, i) => seedChat(user, ids[(i + 1) % ids.length]!, size.messages));
  return { users: ids.length, videos: videoIds.length };
}

function stepper({ progress, signal }: WorldOptions): Step {
  return async (name, items, work) => {
    progress?.start(name, items.length);
    try {
      for (const [index, item] of items.entries()) {
        signal?.throwIfAborted();
        await work(item, index);
        progress?.tick();
      }
    } finally {
      progress?.stop();
    }
  };
}

async function seedUsers(count: number, step: Step): Promise<number[]> {
  const names = Array.from({ length: count }, (_, i) => seedUsername(i));
  const ids: number[] = [];
  await step('users', names, async (name) => {
    const existing = await User.findOne({ usernameKey: usernameKey(name) }, { _id: 1 }).lean();
    ids.push(existing?._id ?? (await users.register(name, SEED_PASSWORD)));
  });
  return ids;
}

async function seedVideos(count: number, authors: readonly number[], step: Step, media: MediaStorage): Promise<number[]> {
  const titles = Array.from({ length: count }, (_, i) => `Seed clip #${i + 1}`);
  const ids: number[] = [];
  await step('videos', titles, async (title, i) => {
    const authorId = authors[i % authors.length]!;
    const existing = await Video.findOne({ authorId, title }, { _id: 1 }).lean();
    ids.push(existing?._id ?? (await publishClip(title, authorId, i, media)));
  });
  return ids;
}

/** Each of `ids` paired with the next `per` entries of `targets` (a ring): deterministic, so reruns repeat. */
function pairs(ids: readonly number[], per: number, targets: readonly number[] = ids): Array<[number, number]> {
  return ids.flatMap((id, i) =>
    Array.from({ length: Math.min(per, targets.length) }, (_, k) => [id, targets[(i + k + 1) % targets.length]!] as [number, number]),
  ).filter(([a, b]) => a !== b);
}

async function seedComments(videoId: number, ids: readonly number[], index: number, count: number, format: comments.CommentFormat): Promise<void> {
  const have = await Comment.countDocuments({ videoId });
  for (let k = have; k < count; k += 1) {
    await comments.addComment(ids[(index + k + 1) % ids.length]!, videoId, `Comment ${k + 1} on clip #${index + 1}`, format);
  }
}

async function seedChat(a: number, b: number, count: number): Promise<void> {
  for (let k = 0; k < count; k += 1) {
    const [from, to] = k % 2 === 0 ? [a, b] : [b, a];
    await messages.sendMessage(from, to, `Hello #${k + 1} from seed`, { requireFriendship: false, clientMsgId: `seed-${a}-${b}-${k}` });
  }
}
