/**
 * Popular owners (issue 23): a video with 100,000 comments, a video with 100,000 likes, a user with
 * 100,000 followers and a user following 100,000, built in bulk through the models' collections and
 * shelves (as the upgrade files old data), then measured through the API: first and deep pages of each
 * list with 16 clients; 12 anonymous readers of the big comment list at once while a bystander comments
 * on another video.
 *   npm run bench:popular -- --entries 100000 --seconds 4 [--shelf 128]   (--shelf: OWNER_SHELF_SIZE)
 */
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import mongoose from 'mongoose';
import { Comment } from '../../models/comment.js';
import { closeDatabase, openDatabase } from '../../models/db.js';
import { Favorite } from '../../models/favorite.js';
import { Follow } from '../../models/follow.js';
import { nextId } from '../../models/ids.js';
import { fileShelves, sizeOwnerLists, sizes, type ListName } from '../../models/shelves.js';
import { User } from '../../models/user.js';
import { Video } from '../../models/video.js';
import { publish } from '../../models/videos.js';
import { startServer } from '../helpers/server.js';
import { startTestStore } from '../helpers/store.js';
import { percentile, seedUsers } from './fixtures.js';

const { values } = parseArgs({ options: { entries: { type: 'string', default: '100000' }, seconds: { type: 'string', default: '4' }, shelf: { type: 'string', default: String(sizes.shelf) } } });
const N = Number(values.entries);
sizeOwnerLists({ shelf: Number(values.shelf) });
const SECONDS = Number(values.seconds);
const store = await startTestStore();
const mongoUrl = `${store.url}popular`;
const t0 = Date.now();
const [star, fan, author, bystander, ...crowd] = await seedUsers(mongoUrl, N + 4);
await openDatabase(mongoUrl);

/** Inserts entries of big owners (one per list) with their shelf keys, shelves of sizes.shelf in the past. */
async function fileBig<T extends { _id: number }>(model: mongoose.Model<any>, lists: Array<{ list: ListName; owner: number; field: string }>, docs: T[], others: (doc: T) => Record<string, unknown>) {
  const froms = docs.filter((_, i) => i > 0 && i % sizes.shelf === 0).map((doc) => doc._id);
  for (const { list, owner } of lists) await fileShelves(list, owner, froms);
  for (let start = 0; start < docs.length; start += 1_000) {
    const shelved = (j: number) => Object.fromEntries(lists.map(({ owner, field }) => [field, `${owner}:${Math.floor((start + j) / sizes.shelf)}`]));
    const batch = docs.slice(start, start + 1_000).map((doc, j) => ({ ...doc, ...shelved(j), ...others(doc) }));
    await model.collection.insertMany(batch as never[], { ordered: true });
  }
}
const video = async (authorId: number) => {
  const id = nextId();
  await publish({ id, authorId, title: `popular ${id}`, videoKey: `videos/${id}.mp4`, coverKey: `covers/${id}.jpg` });
  return id;
};
const [talked, liked, quiet] = [await video(author!.id), await video(author!.id), await video(bystander!.id)];
const ids = () => crowd.map(() => nextId());
const commentIds = ids();
const comments = crowd.map((user, i) => ({ _id: commentIds[i]!, videoId: talked, userId: user.id, content: `comment ${i}`, createdAt: Date.now(), authorId: author!.id }));
await fileBig(Comment, [{ list: 'comments', owner: talked, field: 'shelf' }, { list: 'commented', owner: author!.id, field: 'authorShelf' }], comments, () => ({}));
const likeIds = ids();
const likes = crowd.map((user, i) => ({ _id: likeIds[i]!, userId: user.id, videoId: liked, authorId: author!.id }));
await fileBig(Favorite, [{ list: 'liked', owner: author!.id, field: 'authorShelf' }], likes, (like) => ({ shelf: `${like.userId}:0` }));
const followerIds = ids();
await fileBig(Follow, [{ list: 'followers', owner: star!.id, field: 'followerShelf' }], crowd.map((user, i) => ({ _id: followerIds[i]!, followerId: user.id, followeeId: star!.id })), (doc) => ({ followShelf: `${doc.followerId}:0` }));
const followIds = ids();
await fileBig(Follow, [{ list: 'follows', owner: fan!.id, field: 'followShelf' }], crowd.map((user, i) => ({ _id: followIds[i]!, followerId: fan!.id, followeeId: user.id })), (doc) => ({ followerShelf: `${doc.followeeId}:0` }));
await Video.updateOne({ _id: talked }, { $set: { commentCount: N } });
await Video.updateOne({ _id: liked }, { $set: { favoriteCount: N } });
await User.updateOne({ _id: star!.id }, { $set: { followerCount: N } });
await User.updateOne({ _id: fan!.id }, { $set: { followCount: N } });
await closeDatabase();
await mongoose.disconnect();
console.log(`built ${4 * N} entries in ${((Date.now() - t0) / 1000).toFixed(0)} s`);

const server = await startServer({ MONGO_URL: mongoUrl, OWNER_SHELF_SIZE: values.shelf }, { outputToFile: true });
const base = server.baseUrl;
const deep = (list: number[], i: number) => list[Math.floor(list.length * (0.1 + 0.9 * ((i * 7919) % 1000) / 1000))]!;
const token = (i: number) => crowd[(i * 104729) % crowd.length]!.token;
const paths: Record<string, (i: number) => string> = {
  'comment list, first page (anonymous)': () => `/douyin/comment/list/?video_id=${talked}&limit=30`,
  'comment list, deep page (anonymous)': (i) => `/douyin/comment/list/?video_id=${talked}&limit=30&cursor=${deep(commentIds, i)}`,
  'follower list of the star, first page': (i) => `/douyin/relation/follower/list/?user_id=${star!.id}&token=${token(i)}&limit=30`,
  'follower list of the star, deep page': (i) => `/douyin/relation/follower/list/?user_id=${star!.id}&token=${token(i)}&limit=30&cursor=${deep(followerIds, i)}`,
  'follow list of the fan, first page': (i) => `/douyin/relation/follow/list/?user_id=${fan!.id}&token=${token(i)}&limit=30`,
  'follow list of the fan, deep page': (i) => `/douyin/relation/follow/list/?user_id=${fan!.id}&token=${token(i)}&limit=30&cursor=${deep(followIds, i)}`,
  'friend list of the fan (100,000 follows)': () => `/douyin/relation/friend/list/?token=${fan!.token}&limit=30`,
  'publish list with the liked video (is_favorite of a liker)': (i) => `/douyin/publish/list/?user_id=${author!.id}&token=${token(i)}`,
  'user info of the star (is_follow of a follower)': (i) => `/douyin/user/?user_id=${star!.id}&token=${token(i)}`,
  'notification list of the author (every like and comment received)': () => `/douyin/notification/list/?token=${author!.token}&limit=30`,
  'notification list of the star (every follower)': () => `/douyin/notification/list/?token=${star!.token}&limit=30`,
};
console.log(`| request (16 clients, ${SECONDS} s) | p50 ms | p99 ms | req/s | non-2xx or errors |`);
console.log('| --- | --- | --- | --- | --- |');
for (const [name, path] of Object.entries(paths)) {
  let i = 0;
  const result = await autocannon({ url: base, connections: 16, duration: SECONDS, requests: [{ setupRequest: (request) => ({ ...request, path: path(i++) }) }] });
  console.log(`| ${name} | ${result.latency.p50} | ${result.latency.p99} | ${Math.round(result.requests.average)} | ${result.non2xx + result.errors} |`);
}

// 12 anonymous readers of the big comment list, first and deep pages, while a bystander comments elsewhere.
const statuses = new Map<number, number>();
const until = Date.now() + 10_000;
const reader = async (r: number) => {
  for (let i = r; Date.now() < until; i += 12) {
    const cursor = i % 2 === 0 ? '' : `&cursor=${deep(commentIds, i)}`;
    const body = (await (await fetch(`${base}/douyin/comment/list/?video_id=${talked}&limit=30${cursor}`)).json()) as { status_code: number };
    statuses.set(body.status_code, (statuses.get(body.status_code) ?? 0) + 1);
  }
};
const writes: number[] = [];
const writer = async () => {
  for (let i = 0; Date.now() < until; i += 1) {
    const start = performance.now();
    const body = (await (await fetch(`${base}/douyin/comment/action/?token=${bystander!.token}&video_id=${quiet}&action_type=1&comment_text=meanwhile${i}`, { method: 'POST' })).json()) as { status_code: number };
    writes.push(performance.now() - start);
    statuses.set(1_000_000 + body.status_code, (statuses.get(1_000_000 + body.status_code) ?? 0) + 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};
await Promise.all([...Array.from({ length: 12 }, (_, r) => reader(r)), writer()]);
writes.sort((a, b) => a - b);
const answers = [...statuses].map(([code, n]) => (code >= 1_000_000 ? `bystander ${code - 1_000_000}: ${n}` : `readers ${code}: ${n}`)).join(', ');
console.log(`12 readers of the big comment list for 10 s: ${answers}; bystander's comments: ${writes.length}, p50 ${percentile(writes, 50).toFixed(0)} ms, p99 ${percentile(writes, 99).toFixed(0)} ms`);
await server.stop();
await store.stop();
