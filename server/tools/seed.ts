/**
 * `npm run seed -- [--users 20] [--videos 12] [--follows 3] [--likes 4] [--comments 2] [--messages 3]`
 * Fills the store with a small world: users `seed_001`... (password `seed-password`), real clips made
 * with ffmpeg and their covers, follows (each user and the next few follow each other: friends),
 * likes, comments and chats between neighbours. Idempotent: a second run with the same options adds
 * nothing, a larger one adds only the difference. Uses MONGO_URL, or the embedded store under DATA_DIR
 * when it is unset (stop the server first), and writes media under DATA_DIR.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { Presets, SingleBar } from 'cli-progress';
import { closeDatabase, comments, favorites, messages, nextId, openDatabase, relations, users, videos } from '../../models/index.js';
import { Comment } from '../../models/comment.js';
import { User, usernameKey } from '../../models/user.js';
import { Video } from '../../models/video.js';
import { ffmpegStatus, extractCover } from '../../storage/covers.js';
import { LocalStorage } from '../../storage/local.js';
import { coverKey, videoKey } from '../../storage/media-storage.js';
import { ConfigError, loadConfig } from '../config.js';
import { monthDayFormatter } from '../http/dates.js';
import { createLogger } from '../logger.js';
import { startEmbeddedStore, type RunningStore } from '../store/embedded.js';

const SEED_PASSWORD = 'seed-password';
const run = promisify(execFile);

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '20' },
    videos: { type: 'string', default: '12' },
    follows: { type: 'string', default: '3' },
    likes: { type: 'string', default: '4' },
    comments: { type: 'string', default: '2' },
    messages: { type: 'string', default: '3' },
  },
});

type Sizes = Record<keyof typeof values, number>;

function sizes(): Sizes {
  const parsed = Object.fromEntries(Object.entries(values).map(([name, value]) => [name, Number(value)])) as Sizes;
  for (const [name, value] of Object.entries(parsed)) {
    if (!Number.isInteger(value) || value < 0 || value > 10_000) throw new ConfigError(`--${name} must be a whole number from 0 to 10000`);
  }
  if (parsed.users < 2) throw new ConfigError('--users must be at least 2');
  return parsed;
}

async function main(): Promise<void> {
  const size = sizes();
  const config = loadConfig();
  const logger = createLogger('warn');
  const ffmpeg = await ffmpegStatus();
  if (!ffmpeg.available) throw new ConfigError(`seed makes real videos with ffmpeg: ${ffmpeg.reason} (apt-get install ffmpeg)`);
  let store: RunningStore | undefined;
  if (!config.MONGO_URL) store = await startEmbeddedStore({ mode: config.EMBEDDED_STORE, dataDir: config.DATA_DIR, port: 0 }, logger);
  const media = new LocalStorage(path.join(config.DATA_DIR, 'media'));
  await media.init();
  try {
    await openDatabase(config.MONGO_URL ?? `${store!.url}douyin`);
    const ids = await seedUsers(size.users);
    const videoIds = await seedVideos(size.videos, ids, media);
    await step('follows', pairs(ids, size.follows).flatMap(([a, b]) => [[a, b], [b, a]] as const), ([a, b]) => relations.follow(a, b, 1));
    await step('likes', pairs(ids, size.likes, videoIds), ([user, video]) => favorites.favorite(user, video, 1));
    await step('comments', videoIds, (video, i) => seedComments(video, ids, i, size.comments, config.TIME_ZONE));
    await step('chats', ids, (user, i) => seedChat(user, ids[(i + 1) % ids.length]!, size.messages));
    console.log(`seeded ${ids.length} users (seed_001... password "${SEED_PASSWORD}") and ${videoIds.length} videos`);
  } finally {
    await media.close();
    await closeDatabase();
    await store?.stop();
  }
}

/** Runs `work` on each item under a progress bar (plain periodic lines when stdout is not a terminal). */
async function step<T>(name: string, items: readonly T[], work: (item: T, index: number) => Promise<unknown>): Promise<void> {
  const bar = new SingleBar({ format: `${name.padEnd(9)} {bar} {value}/{total}`, noTTYOutput: !process.stdout.isTTY, hideCursor: true }, Presets.shades_classic);
  bar.start(items.length, 0);
  try {
    for (const [index, item] of items.entries()) {
      await work(item, index);
      bar.increment();
    }
  } finally {
    bar.stop();
  }
}

async function seedUsers(count: number): Promise<number[]> {
  const names = Array.from({ length: count }, (_, i) => `seed_${String(i + 1).padStart(3, '0')}`);
  const ids: number[] = [];
  await step('users', names, async (name) => {
    const existing = await User.findOne({ usernameKey: usernameKey(name) }, { _id: 1 }).lean();
    ids.push(existing?._id ?? (await users.register(name, SEED_PASSWORD)));
  });
  return ids;
}

async function seedVideos(count: number, authors: readonly number[], media: LocalStorage): Promise<number[]> {
  const titles = Array.from({ length: count }, (_, i) => `Seed clip #${i + 1}`);
  const ids: number[] = [];
  await step('videos', titles, async (title, i) => {
    const authorId = authors[i % authors.length]!;
    const existing = await Video.findOne({ authorId, title }, { _id: 1 }).lean();
    ids.push(existing?._id ?? (await publishClip(title, authorId, i, media)));
  });
  return ids;
}

/** A three-second clip with a moving test pattern, its hue and tone different for each index. */
async function publishClip(title: string, authorId: number, index: number, media: LocalStorage): Promise<number> {
  const id = nextId();
  const file = media.tempFile();
  const pattern = `testsrc2=size=360x640:rate=24:duration=3,hue=h=${(index * 47) % 360}`;
  const tone = `sine=frequency=${220 + (index % 12) * 55}:duration=3`;
  await run('ffmpeg', ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', pattern, '-f', 'lavfi', '-i', tone,
    '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', '-movflags', '+faststart', '-f', 'mp4', file]);
  const video = { id, authorId, title, videoKey: videoKey(id, 'mp4'), coverKey: coverKey(id) };
  await media.importFile(file, video.videoKey);
  await extractCover(media.localPath(video.videoKey), media.localPath(video.coverKey));
  await videos.publish(video);
  return id;
}

/** Each of `ids` paired with the next `per` entries of `targets` (a ring): deterministic, so reruns repeat. */
function pairs(ids: readonly number[], per: number, targets: readonly number[] = ids): Array<[number, number]> {
  return ids.flatMap((id, i) =>
    Array.from({ length: Math.min(per, targets.length) }, (_, k) => [id, targets[(i + k + 1) % targets.length]!] as [number, number]),
  ).filter(([a, b]) => a !== b);
}

async function seedComments(videoId: number, ids: readonly number[], index: number, count: number, timeZone: string): Promise<void> {
  const have = await Comment.countDocuments({ videoId });
  const format = { mediaBase: '', formatDate: monthDayFormatter(timeZone) };
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

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
