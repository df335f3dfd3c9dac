import anyTest, { type TestFn } from 'ava';
import fc from 'fast-check';
import mongoose from 'mongoose';
import { OWNER_LIST_MAX_ENTRIES, OWNER_LIST_TTL_MS, pageOf } from '../models/owner-lists.js';
import { client, type Client } from './helpers/api.js';
import { startServer, type ServerProcess } from './helpers/server.js';
import { settle } from './helpers/sockets.js';
import { startTestStore } from './helpers/store.js';
import type { RunningStore } from '../server/store/embedded.js';

const test = anyTest.serial as TestFn<{ store: RunningStore; server: ServerProcess; api: Client; db: mongoose.Connection }>;

test.before(async (t) => {
  const store = await startTestStore();
  const mongoUrl = `${store.url}owner-lists`;
  const server = await startServer({ MONGO_URL: mongoUrl });
  const db = await mongoose.createConnection(mongoUrl).asPromise();
  t.context = { store, server, api: client(server.baseUrl), db };
});

test.after.always(async (t) => {
  await t.context.db?.close();
  await t.context.server?.stop();
  await t.context.store?.stop();
});

test('walking a kept list page by page returns every entry once, newest first', (t) => {
  const lists = fc.uniqueArray(fc.integer({ min: 1, max: 1e6 }), { maxLength: 80 }).map((ids) => ids.sort((a, b) => b - a).map((_id) => ({ _id })));
  fc.assert(fc.property(lists, fc.integer({ min: 1, max: 30 }), (entries, limit) => {
    const walked: number[] = [];
    let before: number | undefined;
    for (let pages = 0; pages <= entries.length + 1; pages += 1) {
      const page = pageOf(entries, { before, limit });
      walked.push(...page.entries.map((entry) => entry._id));
      if (page.nextCursor === 0) break;
      before = page.nextCursor;
    }
    t.deepEqual(walked, entries.map((entry) => entry._id));
  }));
});

/** Stores `count` videos and the user's likes of them directly, the newest like first in `expected`. */
async function likesStoredDirectly(db: mongoose.Connection, userId: number, count: number, firstId: number): Promise<number[]> {
  const ids = Array.from({ length: count }, (_, i) => firstId + i);
  await db.collection('videos').insertMany(ids.map((id) => ({
    _id: id, authorId: userId, title: `v${id}`, publishedAt: id, videoKey: 'videos/x.mp4', coverKey: 'covers/x.jpg', favoriteCount: 1, commentCount: 0,
  })) as never);
  await db.collection('favorites').insertMany(ids.map((id) => ({ _id: id, userId, videoId: id, authorId: userId })) as never);
  return ids.reverse();
}

test('an owner with more entries than are kept is paged by queries, with the same pages and flags', async (t) => {
  const { api, db } = t.context;
  const fan = await api.newUser('fan');
  const newestFirst = await likesStoredDirectly(db, fan.id, OWNER_LIST_MAX_ENTRIES + 50, 9_000_000_000);
  const page = async (cursor?: number) => {
    const { body } = await api.get('/douyin/favorite/list/', { token: fan.token, cursor, limit: 30 });
    return { ids: body.video_list.map((video: { id: number }) => video.id), liked: body.video_list.every((video: { is_favorite: boolean }) => video.is_favorite), next: body.next_cursor };
  };
  const first = await page();
  t.deepEqual(first.ids, newestFirst.slice(0, 30));
  t.true(first.liked, 'the flags of an owner too big to keep are queried too');
  const deep = await page(newestFirst[OWNER_LIST_MAX_ENTRIES]);
  t.deepEqual(deep.ids, newestFirst.slice(OWNER_LIST_MAX_ENTRIES + 1, OWNER_LIST_MAX_ENTRIES + 31));
  t.is(deep.next, newestFirst[OWNER_LIST_MAX_ENTRIES + 30]);
});

test('a like stored behind the server\'s back shows in a kept list once it expires', async (t) => {
  const { api, db } = t.context;
  const fan = await api.newUser('quiet');
  const likes = async () => (await api.get('/douyin/favorite/list/', { token: fan.token })).body.video_list.map((video: { id: number }) => video.id);
  t.deepEqual(await likes(), []);
  const [liked] = await likesStoredDirectly(db, fan.id, 1, 9_100_000_000);
  const deadline = Date.now() + OWNER_LIST_TTL_MS + 2_000;
  let seen = await likes();
  while (seen.length === 0 && Date.now() < deadline) {
    await settle(250);
    seen = await likes();
  }
  t.deepEqual(seen, [liked]);
});
