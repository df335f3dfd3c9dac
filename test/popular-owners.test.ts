import anyTest, { type TestFn } from 'ava';
import mongoose from 'mongoose';
import { tinyVideo } from './helpers/media.js';
import { client } from './helpers/api.js';
import { startServer } from './helpers/server.js';
import { startStack, type Stack } from './helpers/stack.js';
import { startTestStore } from './helpers/store.js';

/**
 * A popular owner's lists are read by shelves (models/shelves.ts): small shelves and a small kept-list
 * limit here, so that a few thousand entries take the path a list of 100,000 takes by default.
 */
const test = anyTest.serial as TestFn<Stack & { clip: Buffer }>;
const SHELF = 16;

test.before(async (t) => {
  t.context = { ...(await startStack('popular', { OWNER_LIST_MAX_ENTRIES: '64', OWNER_SHELF_SIZE: String(SHELF) })), clip: await tinyVideo() };
});

test.after.always(async (t) => {
  await t.context.stop?.();
});

async function inTurns<T>(count: number, parallel: number, run: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let start = 0; start < count; start += parallel) {
    results.push(...(await Promise.all(Array.from({ length: Math.min(parallel, count - start) }, (_, i) => run(start + i)))));
  }
  return results;
}

test('paging through a video with 1,500 comments while comments are deleted finds each comment once, newest first', async (t) => {
  const { api, clip } = t.context;
  const [author, commenter] = await Promise.all([api.newUser('star'), api.newUser('fan')]);
  const videoId = await api.publish(author.token, 'popular', clip);
  const comment = async (i: number) => {
    const { body } = await api.post('/douyin/comment/action/', { token: commenter.token, video_id: videoId, action_type: 1, comment_text: `comment ${i}` });
    if (body.status_code !== 0) throw new Error(JSON.stringify(body));
    return body.comment.id as number;
  };
  const remove = async (id: number) => {
    const { body } = await api.post('/douyin/comment/action/', { token: author.token, video_id: videoId, action_type: 2, comment_id: id });
    t.is(body.status_code, 0);
  };
  const made = (await inTurns(1_500, 16, comment)).sort((a, b) => b - a);
  await new Promise((resolve) => setTimeout(resolve, 6_000)); // shelves begun lately come into force

  const deleted = new Set<number>();
  let added = 0;
  const seen: number[] = [];
  let cursor: number | undefined;
  for (let page = 0; page < 200; page += 1) {
    const { body } = await api.get('/douyin/comment/list/', { video_id: videoId, cursor, limit: 30 });
    t.is(body.status_code, 0);
    seen.push(...body.comment_list.map((entry: { id: number }) => entry.id));
    if (body.next_cursor === 0) break;
    cursor = body.next_cursor;
    // Between pages: one comment deleted further down, one already seen, and a new one on top.
    const ahead = made.filter((id) => id < cursor! && !deleted.has(id));
    const behind = seen.filter((id) => !deleted.has(id));
    for (const id of [ahead[Math.floor(ahead.length / 2)], behind[Math.floor(behind.length / 3)]]) {
      if (id === undefined) continue;
      await remove(id);
      deleted.add(id);
    }
    await comment(10_000 + page);
    added += 1;
  }
  const db = await mongoose.createConnection(t.context.mongoUrl).asPromise();
  const shelves = await db.collection('shelves').countDocuments({ key: `comments:${videoId}` });
  await db.close();
  t.true(shelves >= 2, `paged by shelves: ${shelves}`);
  t.is(new Set(seen).size, seen.length, 'no comment twice');
  t.deepEqual(seen, [...seen].sort((a, b) => b - a), 'newest first');
  const expected = made.filter((id) => !deleted.has(id) || seen.includes(id));
  t.deepEqual(seen.filter((id) => made.includes(id)), expected, 'every comment not deleted before its page came, once');
  await new Promise((resolve) => setTimeout(resolve, 6_000)); // counters are written behind
  const { body } = await api.get('/douyin/publish/list/', { token: author.token });
  t.is(body.video_list[0].comment_count, made.length + added - deleted.size, 'the count stays exact');
});

test('a store made before shelves is filed into them at start, and pages the same', async (t) => {
  const store = await startTestStore();
  const mongoUrl = `${store.url}upgraded`;
  const db = await mongoose.createConnection(mongoUrl).asPromise();
  const userId = 4_242;
  const ids = Array.from({ length: 300 }, (_, i) => 9_000_000_000 + i * 7);
  await db.collection('users').insertOne({ _id: userId, username: 'old_fan', usernameKey: 'old_fan', usernameSkeleton: 'old_fan', passwordHash: 'x', followCount: 0, followerCount: 0, workCount: 0, favoriteCount: 300, totalFavorited: 0 } as never);
  await db.collection('videos').insertMany(ids.map((id) => ({ _id: id, authorId: userId, title: `v${id}`, publishedAt: id, videoKey: 'videos/x.mp4', coverKey: 'covers/x.jpg', favoriteCount: 1, commentCount: 0 })) as never);
  await db.collection('favorites').insertMany(ids.map((id) => ({ _id: id, userId, videoId: id, authorId: userId })) as never);
  const server = await startServer({ MONGO_URL: mongoUrl, OWNER_LIST_MAX_ENTRIES: '64', OWNER_SHELF_SIZE: String(SHELF) });
  try {
    const shelves = await db.collection('shelves').countDocuments({ key: `likes:${userId}` });
    t.is(shelves, Math.ceil(300 / SHELF) - 1, 'shelves of the old likes');
    t.is(await db.collection('favorites').countDocuments({ shelf: `${userId}:0` }), SHELF);
    const api = client(server.baseUrl);
    const { body: login } = await api.post('/douyin/user/register/', { username: 'viewer_of_old', password: 'correct-horse' });
    const seen: number[] = [];
    let cursor: number | undefined;
    for (let page = 0; page < 30; page += 1) {
      const { body } = await api.get('/douyin/favorite/list/', { token: login.token, user_id: userId, cursor, limit: 25 });
      seen.push(...body.video_list.map((video: { id: number }) => video.id));
      if (body.next_cursor === 0) break;
      cursor = body.next_cursor;
    }
    t.deepEqual(seen, [...ids].reverse());
  } finally {
    await db.close();
    await server.stop();
    await store.stop();
  }
});

test('an unlike leaves the pages of a fan with many likes and the inbox of the star at once, though their shelves were read', async (t) => {
  const { api, mongoUrl } = t.context;
  const [star, fan] = await Promise.all([api.newUser('star'), api.newUser('fan')]);
  const db = await mongoose.createConnection(mongoUrl).asPromise();
  t.teardown(() => db.close());
  const ids = Array.from({ length: 80 }, (_, i) => 9_500_000_000 + i * 3);
  await db.collection('videos').insertMany(ids.map((id) => ({ _id: id, authorId: star.id, title: `v${id}`, publishedAt: id, videoKey: 'videos/x.mp4', coverKey: 'covers/x.jpg', favoriteCount: 0, commentCount: 0 })) as never);
  await inTurns(ids.length, 8, (i) => api.post('/douyin/favorite/action/', { token: fan.token, video_id: ids[i], action_type: 1 }));
  const walk = async (path: string, token: string, list: string): Promise<number[]> => {
    const seen: number[] = [];
    let cursor: number | undefined;
    do {
      const { body } = await api.get(path, { token, user_id: fan.id, cursor, limit: 25 });
      t.is(body.status_code, 0, JSON.stringify(body));
      seen.push(...body[list].map((entry: { id: number; video?: { id: number } }) => entry.video?.id ?? entry.id));
      cursor = body.next_cursor || undefined;
    } while (cursor);
    return seen.sort((a, b) => a - b);
  };
  const likes = () => walk('/douyin/favorite/list/', fan.token, 'video_list');
  const inbox = () => walk('/douyin/notification/list/', star.token, 'notification_list');
  t.deepEqual(await likes(), ids, 'read by shelves, which are kept');
  t.deepEqual(await inbox(), ids);

  const unliked = ids[10]!;
  t.like((await api.post('/douyin/favorite/action/', { token: fan.token, video_id: unliked, action_type: 2 })).body, { status_code: 0 });
  const left = ids.filter((id) => id !== unliked);
  t.deepEqual(await likes(), left, 'the shelf that held it was forgotten');
  t.deepEqual(await inbox(), left);
});
