import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import { CACHE_TTL_MS } from '../models/caches.js';
import { FOLD_MS } from '../models/write-behind.js';
import type { RunningStore } from '../server/store/embedded.js';
import { client } from './helpers/api.js';
import { eventually, sleep } from './helpers/faults.js';
import { startTestRedis } from './helpers/redis.js';
import { startServer, type ServerProcess } from './helpers/server.js';
import { startTestStore } from './helpers/store.js';

/**
 * How long user and video records are cached (models/caches.ts): long while the process hears of
 * every change to them, briefly when it cannot. Real processes on a real store, with and without a
 * real Redis.
 */
const test = anyTest.serial as TestFn<{ store: RunningStore }>;

test.before(async (t) => {
  t.context = { store: await startTestStore() };
});

test.after.always(async (t) => {
  await t.context.store?.stop();
});

async function findsOf(server: ServerProcess, collection: string): Promise<number> {
  const text = await (await fetch(`${server.baseUrl}/metrics`)).text();
  return Number(new RegExp(`^store_commands_total\\{command="find",collection="${collection}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
}

test('alone on its store, a process reads a user record once however often it is asked for within seconds', async (t) => {
  const server = await startServer({ MONGO_URL: `${t.context.store.url}records-alone` });
  t.teardown(() => server.stop());
  const api = client(server.baseUrl);
  const [viewer, star] = await Promise.all([api.newUser('viewer'), api.newUser('star')]);
  const profile = () => api.get('/douyin/user/', { token: viewer.token, user_id: star.id });
  await profile();
  const before = await findsOf(server, 'users');
  for (let i = 0; i < 3; i += 1) {
    await sleep(CACHE_TTL_MS);
    t.is((await profile()).body.status_code, 0);
  }
  t.is(await findsOf(server, 'users') - before, 0, 'no user read after the first');
});

/**
 * B starts alone on a store and caches a star's profile; A joins the store, `between` runs, `fan`
 * follows the star on A, and B must show it within a fold and a short cache.
 */
async function followSeenOnB(t: ExecutionContext<{ store: RunningStore }>, env: Record<string, string>, between: () => Promise<void> = async () => undefined): Promise<void> {
  const b = await startServer(env);
  t.teardown(() => b.stop());
  const onB = client(b.baseUrl);
  const [fan, star] = await Promise.all([onB.newUser('fan'), onB.newUser('star')]);
  const followers = async () => (await onB.get('/douyin/user/', { token: fan.token, user_id: star.id })).body.user.follower_count as number;
  t.is(await followers(), 0, 'cached on B');
  const a = await startServer(env);
  t.teardown(() => a.stop());
  const onA = client(a.baseUrl);
  await between();
  t.is((await onA.post('/douyin/relation/action/', { token: fan.token, to_user_id: star.id, action_type: 1 })).body.status_code, 0);
  t.true(await eventually(async () => (await followers()) === 1, FOLD_MS + 2 * CACHE_TTL_MS + 500), 'B shows the follow within a fold and a short cache');
}

test('processes sharing a store without Redis see each other\'s changes at the fold, however long they could cache', async (t) => {
  await followSeenOnB(t, { MONGO_URL: `${t.context.store.url}records-shared` });
});

test('with Redis gone, processes forget the records they cached while they heard each other, and see changes at the fold', async (t) => {
  const redis = await startTestRedis();
  t.teardown(() => redis.stop());
  await followSeenOnB(t, { MONGO_URL: `${t.context.store.url}records-redis-gone`, REDIS_URL: redis.url }, () => redis.stop());
});

test('with Redis frozen, processes notice it, forget what they cached while they heard each other, and see changes at the fold', async (t) => {
  const redis = await startTestRedis();
  t.teardown(() => redis.stop());
  await followSeenOnB(t, { MONGO_URL: `${t.context.store.url}records-redis-frozen`, REDIS_URL: redis.url }, async () => {
    redis.pause(); // connections stay open and nothing is answered
    await sleep(3_000); // a few of the publisher's pings (realtime/redis.ts)
  });
});
