import anyTest, { type TestFn } from 'ava';
import { CACHE_TTL_MS } from '../models/caches.js';
import { client, type Client } from './helpers/api.js';
import { tinyVideo } from './helpers/media.js';
import { startServer, type ServerProcess } from './helpers/server.js';
import { settle } from './helpers/sockets.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { startTestStore } from './helpers/store.js';
import type { RunningStore } from '../server/store/embedded.js';

/**
 * The read caches of two processes sharing one store and one Redis: a write on one process is seen at
 * once by the other, well before the cached entries would expire on their own.
 */
const test = anyTest.serial as TestFn<{ store: RunningStore; redis: TestRedis; a: ServerProcess; b: ServerProcess; onA: Client; onB: Client }>;

test.before(async (t) => {
  const [store, redis] = await Promise.all([startTestStore(), startTestRedis()]);
  const env = { MONGO_URL: `${store.url}caches`, REDIS_URL: redis.url };
  const [a, b] = await Promise.all([startServer(env), startServer(env)]);
  t.context = { store, redis, a, b, onA: client(a.baseUrl), onB: client(b.baseUrl) };
});

test.after.always(async (t) => {
  await Promise.all([t.context.a?.stop(), t.context.b?.stop()]);
  await Promise.all([t.context.redis?.stop(), t.context.store?.stop()]);
});

/** Reads until `accept` holds; fails if that takes longer than the caches' lifetime would explain. */
async function seenBeforeExpiry<T>(t: { true(value: boolean, message?: string): void }, since: number, read: () => Promise<T>, accept: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    if (performance.now() - since > CACHE_TTL_MS / 2) {
      t.true(false, `still stale after ${Math.round(performance.now() - since)} ms: ${JSON.stringify(value)}`);
      return value;
    }
    await settle(20);
  }
}

test('a follow on one process shows at once in the profile another process has cached', async (t) => {
  const { onA, onB } = t.context;
  const [fan, star] = await Promise.all([onA.newUser('fan'), onA.newUser('star')]);
  const profile = async () => (await onB.get('/douyin/user/', { token: fan.token, user_id: star.id })).body.user;
  t.like(await profile(), { is_follow: false, follower_count: 0 }, 'cached on B');

  const started = performance.now();
  t.is((await onA.post('/douyin/relation/action/', { token: fan.token, to_user_id: star.id, action_type: 1 })).body.status_code, 0);
  const after = await seenBeforeExpiry(t, started, profile, (user) => user.is_follow === true);
  t.like(after, { is_follow: true, follower_count: 1 });
});

test('a video published or liked on one process shows at once in the feed another process has cached', async (t) => {
  const { onA, onB } = t.context;
  const [author, fan] = await Promise.all([onA.newUser('author'), onA.newUser('fan')]);
  const head = async () => (await onB.get('/douyin/feed/', { latest_time: Date.now() })).body.video_list as Array<{ id: number; title: string; favorite_count: number }>;
  await head();

  let started = performance.now();
  const videoId = await onA.publish(author.token, 'fresh off the press', await tinyVideo());
  const [newest] = await seenBeforeExpiry(t, started, head, (list) => list[0]?.id === videoId);
  t.like(newest, { title: 'fresh off the press', favorite_count: 0 });

  started = performance.now();
  t.is((await onA.post('/douyin/favorite/action/', { token: fan.token, video_id: videoId, action_type: 1 })).body.status_code, 0);
  const [liked] = await seenBeforeExpiry(t, started, head, (list) => list[0]?.favorite_count === 1);
  t.like(liked, { id: videoId, favorite_count: 1 });
});

test('likes, follows and comments on one process show at once in the lists another process keeps', async (t) => {
  const { onA, onB } = t.context;
  const [me, friend, author] = await Promise.all([onA.newUser('me'), onA.newUser('friend'), onA.newUser('author')]);
  const videoId = await onA.publish(author.token, 'listed', await tinyVideo());
  const ids = (list: Array<{ id: number }>) => list.map((item) => item.id);
  const lists = async () => {
    const [likes, follows, followers, friends, comments, published] = await Promise.all([
      onB.get('/douyin/favorite/list/', { token: me.token }),
      onB.get('/douyin/relation/follow/list/', { token: me.token, user_id: me.id }),
      onB.get('/douyin/relation/follower/list/', { token: me.token, user_id: friend.id }),
      onB.get('/douyin/relation/friend/list/', { token: me.token }),
      onB.get('/douyin/comment/list/', { token: me.token, video_id: videoId }),
      onB.get('/douyin/publish/list/', { token: me.token, user_id: author.id }),
    ]);
    return {
      likes: ids(likes.body.video_list),
      follows: ids(follows.body.user_list),
      followers: ids(followers.body.user_list),
      friends: ids(friends.body.user_list),
      comments: ids(comments.body.comment_list).length,
      liked: published.body.video_list[0].is_favorite as boolean,
    };
  };
  t.deepEqual(await lists(), { likes: [], follows: [], followers: [], friends: [], comments: 0, liked: false }, 'kept on B');

  const started = performance.now();
  await Promise.all([
    onA.post('/douyin/favorite/action/', { token: me.token, video_id: videoId, action_type: 1 }),
    onA.post('/douyin/relation/action/', { token: me.token, to_user_id: friend.id, action_type: 1 }),
    onA.post('/douyin/relation/action/', { token: friend.token, to_user_id: me.id, action_type: 1 }),
    onA.post('/douyin/comment/action/', { token: me.token, video_id: videoId, action_type: 1, comment_text: 'first' }),
  ]);
  const expected = { likes: [videoId], follows: [friend.id], followers: [me.id], friends: [friend.id], comments: 1, liked: true };
  const after = await seenBeforeExpiry(t, started, lists, (seen) => JSON.stringify(seen) === JSON.stringify(expected));
  t.deepEqual(after, expected);
});
