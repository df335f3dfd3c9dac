import test from 'ava';
import mongoose from 'mongoose';
import type { NotificationView } from '../realtime/contract.js';
import { client } from './helpers/api.js';
import { startServer } from './helpers/server.js';
import { startTestStore } from './helpers/store.js';

/**
 * Notifications were documents of their own (`notifications`, with a read flag each) before the inbox
 * was read from the edges (models/inbox-upgrade.ts). A store of that time, written directly as that
 * version left it, is upgraded at start: its author's inbox shows the same notifications, read where
 * they were read, and the old collection is gone. Small shelves, so that the author's likes are filed
 * into several, as a popular author's would be.
 */
const SHELF = 16;

test('a store whose notifications were documents of their own keeps its inbox, read state included, once upgraded', async (t) => {
  const store = await startTestStore();
  const mongoUrl = `${store.url}inbox-upgrade`;
  const db = await mongoose.createConnection(mongoUrl).asPromise();
  t.teardown(async () => {
    await db.close();
    await store.stop();
  });

  // The author registers with the server; the rest is stored as the older version stored it.
  const before = await startServer({ MONGO_URL: mongoUrl });
  const author = await client(before.baseUrl).newUser('author');
  await before.stop();
  const fans = Array.from({ length: 40 }, (_, i) => 8_000_000_000 + i);
  const videos = [9_000_000_000, 9_000_000_001];
  await db.collection('users').insertMany(fans.map((_id) => ({ _id, username: `old_${_id}`, usernameKey: `old_${_id}`, usernameSkeleton: `old_${_id}`, passwordHash: 'x', followCount: 1, followerCount: 0, workCount: 0, favoriteCount: 2, totalFavorited: 0 })) as never);
  await db.collection('videos').insertMany(videos.map((_id) => ({ _id, authorId: author.id, title: `v${_id}`, publishedAt: _id, videoKey: 'videos/x.mp4', coverKey: 'covers/x.jpg', favoriteCount: fans.length, commentCount: 0 })) as never);
  let id = 10_000_000_000;
  const edges: Array<{ id: number; gist: string }> = [];
  const notices: Array<Record<string, unknown>> = [];
  for (const fan of fans) {
    for (const videoId of videos) {
      id += 10;
      await db.collection('favorites').insertOne({ _id: id, userId: fan, videoId, authorId: author.id, shelf: `${fan}:0` } as never);
      edges.push({ id, gist: `favorite by ${fan} on ${videoId}` });
      notices.push({ _id: id + 1, recipientId: author.id, type: 'favorite', actorId: fan, videoId, key: `favorite:${fan}:${videoId}` });
    }
    id += 10;
    await db.collection('comments').insertOne({ _id: id, videoId: videos[0], userId: fan, content: `from ${fan}`, createdAt: 1, shelf: `${videos[0]}:0` } as never);
    edges.push({ id, gist: `comment by ${fan} on ${videos[0]}: from ${fan}` });
    notices.push({ _id: id + 1, recipientId: author.id, type: 'comment', actorId: fan, videoId: videos[0], commentId: id, key: `comment:${id}` });
  }
  const readUpTo = edges[49]!.id;
  await db.collection('notifications').insertMany(notices.map((notice) => ({ ...notice, read: (notice._id as number) <= readUpTo + 1 })) as never);
  await db.collection('upgrades').deleteOne({ _id: 'inbox-from-edges' } as never);

  const server = await startServer({ MONGO_URL: mongoUrl, OWNER_SHELF_SIZE: String(SHELF) });
  t.teardown(() => server.stop());
  t.is(await db.collection('shelves').countDocuments({ key: `liked:${author.id}` }), (fans.length * videos.length) / SHELF - 1, 'the author\'s likes are filed into shelves');
  const api = client(server.baseUrl);
  const list: NotificationView[] = [];
  let cursor: number | undefined;
  let unread = -1;
  do {
    const { body } = await api.get('/douyin/notification/list/', { token: author.token, cursor, limit: 50 });
    t.is(body.status_code, 0, JSON.stringify(body));
    if (unread < 0) unread = body.unread_count;
    list.push(...body.notification_list);
    cursor = body.next_cursor || undefined;
  } while (cursor);

  const gist = (n: NotificationView) => `${n.type} by ${n.user.id}${n.video ? ` on ${n.video.id}` : ''}${n.comment ? `: ${n.comment.content}` : ''}`;
  t.deepEqual(list.map((n) => [n.id, gist(n)]), edges.map((edge) => [edge.id, edge.gist]).reverse(), 'every notification, by its edge\'s id, newest first');
  t.deepEqual(list.map((n) => n.is_read), edges.map((edge) => edge.id <= readUpTo).reverse(), 'read where it was read');
  t.is(unread, edges.length - 50);
  t.false((await db.listCollections()).some((collection) => collection.name === 'notifications'), 'the old collection is gone');
  t.is(await db.collection('comments').countDocuments({ authorId: author.id, authorShelf: { $exists: true } }), fans.length, 'each comment names its video\'s author');

  const newFan = await api.newUser('new_fan');
  await api.post('/douyin/favorite/action/', { token: newFan.token, video_id: videos[1], action_type: 1 });
  const { body } = await api.get('/douyin/notification/list/', { token: author.token, limit: 1 });
  t.like(body, { unread_count: edges.length - 50 + 1, notification_list: [{ type: 'favorite', user: { id: newFan.id }, is_read: false }] });
});
