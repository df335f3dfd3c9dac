import anyTest, { type TestFn } from 'ava';
import mongoose from 'mongoose';
import { FEED_HEAD_SIZE } from '../models/caches.js';
import { FEED_HOUR_MS } from '../models/feed-hours.js';
import { client } from './helpers/api.js';
import { startServer } from './helpers/server.js';
import { startTestStore } from './helpers/store.js';
import type { RunningStore } from '../server/store/embedded.js';

const test = anyTest.serial as TestFn<{ store: RunningStore; mongoUrl: string }>;

test.before(async (t) => {
  const store = await startTestStore();
  t.context = { store, mongoUrl: `${store.url}feed-hours` };
});

test.after.always(async (t) => {
  await t.context.store?.stop();
});

test('videos stored before feed hours existed are filed at start, and the feed pages through all of them past its cached head', async (t) => {
  const { mongoUrl } = t.context;
  // As an older version stored them (no feedHour), spread unevenly over three weeks, most hours empty.
  const count = FEED_HEAD_SIZE * 2 + 37;
  const newest = Date.now() - 60_000;
  const publishedAt = Array.from({ length: count }, (_, i) => newest - Math.floor(((i * i) / 120) * (FEED_HOUR_MS / 7)) - i);
  const db = await mongoose.createConnection(mongoUrl).asPromise();
  await db.collection('videos').insertMany(publishedAt.map((time, i) => ({
    _id: 8_000_000_000 + i, authorId: 1, title: `old ${i}`, publishedAt: time, videoKey: 'videos/x.mp4', coverKey: 'covers/x.jpg', favoriteCount: 0, commentCount: 0,
  })) as never);
  await db.close();

  const server = await startServer({ MONGO_URL: mongoUrl });
  t.teardown(() => server.stop());
  const api = client(server.baseUrl);
  const seen: number[] = [];
  let latestTime: number | undefined;
  for (let pages = 0; pages < count; pages += 1) {
    const { body } = await api.get('/douyin/feed/', { latest_time: latestTime });
    t.is(body.status_code, 0, JSON.stringify({ latestTime, body }).slice(0, 300));
    if (body.video_list.length === 0) break;
    seen.push(...body.video_list.map((video: { id: number }) => video.id));
    latestTime = body.next_time;
  }
  const expected = publishedAt.map((time, i) => [time, 8_000_000_000 + i] as const).sort((a, b) => b[0] - a[0]).map(([, id]) => id);
  t.is(seen.length, count, 'no video skipped or repeated');
  t.deepEqual(seen, expected, 'newest first all the way down');
});
