import anyTest, { type TestFn } from 'ava';
import mongoose from 'mongoose';
import { FEED_HEAD_SIZE } from '../models/caches.js';
import { HOUR_MS } from '../models/hour-index.js';
import type { MessageView } from '../models/views.js';
import { client } from './helpers/api.js';
import { startServer } from './helpers/server.js';
import { connect } from './helpers/sockets.js';
import { startTestStore } from './helpers/store.js';
import type { RunningStore } from '../server/store/embedded.js';

const test = anyTest.serial as TestFn<{ store: RunningStore; mongoUrl: string }>;

test.before(async (t) => {
  const store = await startTestStore();
  t.context = { store, mongoUrl: `${store.url}hours` };
});

test.after.always(async (t) => {
  await t.context.store?.stop();
});

test('videos stored before feed hours existed are filed at start, and the feed pages through all of them past its cached head', async (t) => {
  const { mongoUrl } = t.context;
  // As an older version stored them (no feedHour), spread unevenly over three weeks, most hours empty.
  const count = FEED_HEAD_SIZE * 2 + 37;
  const newest = Date.now() - 60_000;
  const publishedAt = Array.from({ length: count }, (_, i) => newest - Math.floor(((i * i) / 120) * (HOUR_MS / 7)) - i);
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

test('messages stored before conversations had hours are filed at start: history, polling and message:sync reach all of them', async (t) => {
  const { mongoUrl } = t.context;
  const first = await startServer({ MONGO_URL: mongoUrl });
  const [alice, bob] = await Promise.all([client(first.baseUrl).newUser('alice'), client(first.baseUrl).newUser('bob')]);
  await first.stop();

  // A store of an older version: it has these messages without hours and has run no upgrade.
  const count = 250;
  const newest = Date.now() - 60_000;
  const createdAt = Array.from({ length: count }, (_, i) => newest - Math.floor(((i * i) / 50) * (HOUR_MS / 5)) - i);
  const pair = alice.id < bob.id ? `${alice.id}:${bob.id}` : `${bob.id}:${alice.id}`;
  const db = await mongoose.createConnection(mongoUrl).asPromise();
  await db.collection('upgrades').deleteMany({});
  await db.collection('messages').insertMany(createdAt.map((time, i) => ({
    _id: 9_000_000_000 + (count - i), fromUserId: i % 2 ? alice.id : bob.id, toUserId: i % 2 ? bob.id : alice.id, pair, content: `old ${i}`, createdAt: time,
  })) as never);
  await db.close();
  const oldestFirst = createdAt.map((time, i) => ({ time, content: `old ${i}` })).sort((a, b) => a.time - b.time).map((message) => message.content);

  const server = await startServer({ MONGO_URL: mongoUrl });
  t.teardown(() => server.stop());
  const api = client(server.baseUrl);
  const chat = async (preMsgTime?: number) => (await api.get('/douyin/message/chat/', { token: alice.token, to_user_id: bob.id, pre_msg_time: preMsgTime, limit: 30 })).body.message_list as MessageView[];
  const contents = (messages: MessageView[]) => messages.map((message) => message.content);

  t.deepEqual(contents(await chat()), oldestFirst.slice(-30), 'opening the chat: the latest 30, oldest first');
  const polled: string[] = [];
  let after = createdAt.at(-1)! - 1;
  for (let polls = 0; polls < count; polls += 1) {
    const page = await chat(after);
    if (page.length === 0) break;
    polled.push(...contents(page));
    after = Number(page.at(-1)!.create_time);
  }
  t.deepEqual(polled, oldestFirst, 'polling with pre_msg_time walks every message once, oldest first');

  const socket = await connect(server.realtimeUrl, bob.token);
  t.teardown(() => socket.close());
  const synced: string[] = [];
  let afterId = 0;
  for (let pages = 0; pages < count; pages += 1) {
    const page = await socket.sync({ after_id: afterId });
    t.is(page.status_code, 0);
    synced.push(...contents(page.message_list as MessageView[]).filter((content) => !synced.includes(content)));
    afterId = Math.max(afterId, ...page.message_list.map((message: MessageView) => message.id));
    if (!page.has_more) break;
  }
  t.is(synced.length, count, 'message:sync from the beginning reaches every message once');
});
