import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import mongoose from 'mongoose';
import pLimit from 'p-limit';
import { PROJECT_ROOT } from '../server/paths.js';
import { client, type Client } from './helpers/api.js';
import { tinyVideo } from './helpers/media.js';
import { startServer, type ServerProcess } from './helpers/server.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { startRestartableStore, startTestStore } from './helpers/store.js';
import { FOLD_MS } from '../models/write-behind.js';
import type { RunningStore } from '../server/store/embedded.js';

type User = { id: number; token: string };
interface Context {
  store: RunningStore;
  redis: TestRedis;
  servers: ServerProcess[];
  apis: Client[];
  db: mongoose.Connection;
  mongoUrl: string;
}
const test = anyTest.serial as TestFn<Context>;

/**
 * The crowd below queues hundreds of increments of three documents (one at a time each on FerretDB):
 * on a busy two-core machine the last ones are answered after more than the default 5 s budget, which
 * refuses them with 50001 (their writes still finish). What is tested here is the counters, so the
 * budget is widened out of the way.
 */
const UNHURRIED = { REQUEST_DEADLINE_MS: '60000' };

test.before(async (t) => {
  const [store, redis] = await Promise.all([startTestStore(), startTestRedis()]);
  const mongoUrl = `${store.url}counters`;
  // Two processes as they are scaled out: sharing a store and a Redis (which carries their cache invalidations).
  const servers = await Promise.all([1, 2].map(() => startServer({ MONGO_URL: mongoUrl, REDIS_URL: redis.url, ...UNHURRIED })));
  const db = await mongoose.createConnection(mongoUrl).asPromise();
  t.context = { store, redis, servers, apis: servers.map((server) => client(server.baseUrl)), db, mongoUrl };
});

test.after.always(async (t) => {
  await t.context.db?.close();
  await Promise.all(t.context.servers?.map((server) => server.stop()) ?? []);
  await Promise.all([t.context.store?.stop(), t.context.redis?.stop()]);
});

/** Every counter that differs from a count of the records it counts, as "collection id field: stored != truth". */
async function drift(db: mongoose.Connection): Promise<string[]> {
  const count = (collection: string, filter: object) => db.collection(collection).countDocuments(filter);
  const problems: string[] = [];
  for (const user of await db.collection('users').find().toArray()) {
    const truth = {
      followCount: await count('follows', { followerId: user._id }),
      followerCount: await count('follows', { followeeId: user._id }),
      favoriteCount: await count('favorites', { userId: user._id }),
      totalFavorited: await count('favorites', { authorId: user._id }),
      workCount: await count('videos', { authorId: user._id }),
    };
    for (const [field, value] of Object.entries(truth)) if (user[field] !== value) problems.push(`users ${user._id} ${field}: ${user[field]} != ${value}`);
  }
  for (const video of await db.collection('videos').find().toArray()) {
    const truth = { favoriteCount: await count('favorites', { videoId: video._id }), commentCount: await count('comments', { videoId: video._id }) };
    for (const [field, value] of Object.entries(truth)) if (video[field] !== value) problems.push(`videos ${video._id} ${field}: ${video[field]} != ${value}`);
  }
  return problems;
}

/** Conversations whose stored latest message is not the newest of their messages, as "pair: stored != newest". */
async function staleConversations(db: mongoose.Connection): Promise<string[]> {
  const newest = new Map<string, number>();
  for (const message of await db.collection<{ _id: number; pair: string }>('messages').find().toArray()) {
    newest.set(message.pair, Math.max(newest.get(message.pair) ?? 0, message._id));
  }
  const stored = new Map((await db.collection<{ _id: string; latest: { id: number } }>('conversations').find().toArray()).map((doc) => [doc._id, doc.latest.id]));
  return [...newest].filter(([pair, id]) => stored.get(pair) !== id).map(([pair, id]) => `${pair}: ${stored.get(pair)} != ${id}`);
}

/** Friend lists, as each process serves them, that differ from the mutual follows stored, as "user on server n: served != truth". */
async function wrongFriendLists(db: mongoose.Connection, apis: Client[], users: User[]): Promise<string[]> {
  const edges = await db.collection('follows').find().toArray();
  const present = new Set(edges.map((edge) => `${edge.followerId}>${edge.followeeId}`));
  const problems: string[] = [];
  for (const user of users) {
    const truth = users.filter((other) => present.has(`${user.id}>${other.id}`) && present.has(`${other.id}>${user.id}`)).map((other) => other.id).sort();
    for (const [n, api] of apis.entries()) {
      const served = (await api.get('/douyin/relation/friend/list/', { token: user.token })).body.user_list.map((friend: { id: number }) => friend.id).sort();
      if (served.join() !== truth.join()) problems.push(`${user.id} on server ${n}: ${served} != ${truth}`);
    }
  }
  return problems;
}

async function eventually(check: () => Promise<string[]>, seconds: number): Promise<string[]> {
  const deadline = Date.now() + seconds * 1000;
  let problems = await check();
  while (problems.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    problems = await check();
  }
  return problems;
}

const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;

/** Counters as the server shows them that differ from a count of the records they count, as "user id field: served != truth". */
async function servedDrift(db: mongoose.Connection, api: Client, users: User[]): Promise<string[]> {
  const count = (collection: string, filter: object) => db.collection(collection).countDocuments(filter);
  const problems: string[] = [];
  for (const user of users) {
    const served = (await api.get('/douyin/user/', { token: user.token, user_id: user.id })).body.user;
    const truth = {
      follow_count: await count('follows', { followerId: user.id }),
      follower_count: await count('follows', { followeeId: user.id }),
      favorite_count: await count('favorites', { userId: user.id }),
      total_favorited: await count('favorites', { authorId: user.id }),
    };
    for (const [field, value] of Object.entries(truth)) if (served[field] !== value) problems.push(`user ${user.id} ${field}: ${served[field]} != ${value}`);
    for (const video of (await api.get('/douyin/publish/list/', { token: user.token, user_id: user.id })).body.video_list) {
      const [favorites, comments] = [await count('favorites', { videoId: video.id }), await count('comments', { videoId: video.id })];
      if (video.favorite_count !== favorites || video.comment_count !== comments) problems.push(`video ${video.id}: ${video.favorite_count}/${video.comment_count} != ${favorites}/${comments}`);
    }
  }
  return problems;
}

/** Starts the store again once the PostgreSQL of the killed one has shut down (it is told to when FerretDB dies). */
async function startOnceStopped(store: Awaited<ReturnType<typeof startRestartableStore>>): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await store.start();
    } catch (error) {
      if (attempt === 20 || !String(error).includes('postmaster.pid')) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/** Eight users, three of them with a video each. */
async function cast(api: Client): Promise<{ users: User[]; videos: number[] }> {
  const clip = await tinyVideo();
  const users: User[] = await Promise.all(Array.from({ length: 8 }, (_, i) => api.newUser(`cast${i}`)));
  const videos: number[] = [];
  for (const author of users.slice(0, 3)) videos.push(await api.publish(author.token, 'contested', clip));
  return { users, videos };
}

/** A like, unlike, follow, unfollow, comment or chat message by a random user. */
function randomWrite(api: Client, users: User[], videos: number[]): Promise<{ body: Record<string, any> }> {
  const user = pick(users);
  const other = pick(users.filter((candidate) => candidate !== user));
  switch (pick(['like', 'follow', 'comment', 'message'] as const)) {
    case 'message':
      return api.post('/douyin/message/action/', { token: user.token, to_user_id: other.id, action_type: 1, content: 'race' });
    case 'like':
      return api.post('/douyin/favorite/action/', { token: user.token, video_id: pick(videos), action_type: pick([1, 1, 2]) });
    case 'follow':
      return api.post('/douyin/relation/action/', { token: user.token, to_user_id: other.id, action_type: pick([1, 1, 2]) });
    case 'comment':
      return api.post('/douyin/comment/action/', { token: user.token, video_id: pick(videos), action_type: 1, comment_text: 'race' });
  }
}

/** Hundreds of simultaneous likes, unlikes, follows, unfollows and comments by 8 users on 3 videos, spread over `apis`. */
async function crowd(apis: Client[]): Promise<{ users: User[]; answers: Array<{ body: Record<string, any> }> }> {
  const { users, videos } = await cast(apis[0]!);
  return { users, answers: await Promise.all(Array.from({ length: 400 }, () => randomWrite(pick(apis), users, videos))) };
}

test('counters survive hundreds of simultaneous likes, follows and comments on two processes', async (t) => {
  const { apis, db, store } = t.context;
  const { users, answers } = await crowd(apis);
  t.true(answers.every((answer) => answer.body.status_code === 0), JSON.stringify(answers.find((answer) => answer.body.status_code !== 0)?.body));

  // Stored at each process's next fold. MongoDB's $inc is atomic: exact then. FerretDB's is not: two
  // processes folding into one document can lose a change, which their recounts repair soon after.
  const exactAtFold = !store.description.startsWith('FerretDB');
  t.deepEqual(await eventually(() => drift(db), FOLD_MS / 1000 + (exactAtFold ? 1 : 15)), []);
  t.deepEqual(await eventually(() => wrongFriendLists(db, apis, users), 2), [], 'friend lists agree with the follows stored, on both processes');
  const negatives = await db.collection('users').countDocuments({ $or: ['followCount', 'followerCount', 'favoriteCount', 'totalFavorited'].map((field) => ({ [field]: { $lt: 0 } })) });
  t.is(negatives, 0);
});

test('a recount leaves alone what another process has still to fold: its records of repeated likes, which changed nothing, are not subtracted', async (t) => {
  const { apis: [onA, onB], servers: [, b], db } = t.context as Context & { apis: [Client, Client]; servers: [ServerProcess, ServerProcess] };
  const [author, early, late] = await Promise.all(['author', 'early', 'late'].map((name) => onA.newUser(name)));
  const videoId = await onA.publish(author!.token, 'repeated', await tinyVideo());
  const like = (api: Client, user: User) => api.post('/douyin/favorite/action/', { token: user.token, video_id: videoId, action_type: 1 });
  t.is((await like(onB, early!)).body.status_code, 0);
  await new Promise((resolve) => setTimeout(resolve, FOLD_MS + 1_000)); // B has folded it

  // Repeats change nothing, but each leaves B a record until its next fold, which B, frozen, does not make.
  for (let i = 0; i < 3; i += 1) t.is((await like(onB, early!)).body.status_code, 0);
  b.child.kill('SIGSTOP');
  t.teardown(() => b.child.kill('SIGCONT'));
  t.is((await like(onA, late!)).body.status_code, 0);
  await new Promise((resolve) => setTimeout(resolve, FOLD_MS + 4_000)); // A folds, and would recount after a quiet second
  const stored = await db.collection('videos').findOne({ _id: videoId as never });
  t.is(stored?.favoriteCount, 2, 'two likes stored, whatever B has not folded');

  b.child.kill('SIGCONT');
  t.deepEqual(await eventually(() => drift(db), FOLD_MS / 1000 + 10), []);
});

/** One process alone on database `name` of the shared store, and a connection of the test's own to that database. */
async function alone(t: ExecutionContext<Context>, name: string): Promise<{ api: Client; db: mongoose.Connection }> {
  const mongoUrl = `${t.context.store.url}${name}`;
  const server = await startServer({ MONGO_URL: mongoUrl, ...UNHURRIED });
  t.teardown(() => server.stop());
  const db = await mongoose.createConnection(mongoUrl).asPromise();
  t.teardown(() => db.close());
  return { api: client(server.baseUrl), db };
}

test('on a store it has to itself, a process serves every counter exact as soon as the requests have answered, and stores it within a fold, FerretDB too', async (t) => {
  const { api, db } = await alone(t, 'counters-alone');
  const { users, answers } = await crowd([api]);
  t.true(answers.every((answer) => answer.body.status_code === 0));
  t.deepEqual(await servedDrift(db, api, users), [], 'served at once');
  t.deepEqual(await eventually(() => drift(db), (FOLD_MS + 1_000) / 1000), [], 'stored within a fold');
});

test('a fold of hundreds of writes, paced in slices, stores every conversation\'s latest message and removes every record it folded', async (t) => {
  const { api, db } = await alone(t, 'counters-paced');
  const users = await Promise.all(Array.from({ length: 15 }, () => api.newUser('paced')));
  // Two messages each way between every pair: 420 records and 105 new conversations, mostly in one fold.
  const sends = users.flatMap((from) => users.filter((to) => to !== from).flatMap((to) => [1, 2].map((n) => ({ from, to, content: `${from.id}>${to.id} #${n}` }))));
  const limit = pLimit(32); // more at once are shed with 50001 (deadline.ts)
  const answers = await Promise.all(sends.map(({ from, to, content }) => limit(() => api.post('/douyin/message/action/', { token: from.token, to_user_id: to.id, action_type: 1, content }))));
  t.deepEqual(answers.filter((answer) => answer.body.status_code !== 0).map((answer) => answer.body), []);
  const leftover = () => db.collection('pending_changes').countDocuments().then((n) => (n === 0 ? [] : [`${n} records left`]));
  t.deepEqual(await eventually(leftover, (3 * FOLD_MS) / 1000), [], 'every record removed');
  const newest = new Map<string, number>();
  for (const message of await db.collection<{ _id: number; pair: string }>('messages').find().toArray()) {
    if ((newest.get(message.pair) ?? 0) < message._id) newest.set(message.pair, message._id);
  }
  const conversations = await db.collection<{ _id: string; latest: { id: number } }>('conversations').find().toArray();
  t.is(conversations.length, 105);
  t.deepEqual(conversations.filter((conversation) => conversation.latest.id !== newest.get(conversation._id)).map((conversation) => conversation._id), [], 'each with its latest message');
});

test('after kill -9 of the server and of its store under write load, and a restart, every counter equals its edges and every conversation shows its latest message', async (t) => {
  const store = await startRestartableStore();
  t.teardown(() => store.stop().then(store.remove));
  const mongoUrl = `${store.url}counters-killed`;
  const server = await startServer({ MONGO_URL: mongoUrl });
  const api = client(server.baseUrl);
  const { users, videos } = await cast(api);
  // Writes keep coming while both processes are killed: some answered, some cut off mid-flight.
  const load = Array.from({ length: 600 }, (_, i) => new Promise((resolve) => setTimeout(resolve, i * 2)).then(() => randomWrite(api, users, videos)).catch(() => undefined));
  await new Promise((resolve) => setTimeout(resolve, 700));
  process.kill(store.pid!, 'SIGKILL');
  await server.stop('SIGKILL');
  await Promise.all(load);

  await startOnceStopped(store);
  const restarted = await startServer({ MONGO_URL: mongoUrl });
  t.teardown(() => restarted.stop());
  const db = await mongoose.createConnection(mongoUrl).asPromise();
  t.teardown(() => db.close());
  t.true(await db.collection('favorites').countDocuments() > 0, 'the load wrote something before the kill');
  t.true(await db.collection('messages').countDocuments() > 0, 'and sent messages');
  t.deepEqual(await drift(db), [], 'recovered at start, before serving');
  t.deepEqual(await staleConversations(db), [], 'each conversation with its latest message, also recovered at start');
});

test('npm run recount repairs counters that were broken behind the server\'s back', async (t) => {
  const { apis, db, mongoUrl } = t.context;
  const [a, b] = await Promise.all([apis[0]!.newUser('broken'), apis[1]!.newUser('fixed')]);
  await apis[0]!.post('/douyin/relation/action/', { token: a.token, to_user_id: b.id, action_type: 1 });
  await apis[1]!.post('/douyin/relation/action/', { token: b.token, to_user_id: a.id, action_type: 1 });
  await new Promise((resolve) => setTimeout(resolve, FOLD_MS + 2_500)); // let the servers fold and settle first
  await db.collection('users').updateOne({ _id: a.id as never }, { $set: { followerCount: 999, followCount: -3 } });
  await db.collection('videos').updateMany({}, { $set: { commentCount: 12345 } });
  t.not((await drift(db)).length, 0);

  const { stdout } = await promisify(execFile)(process.execPath, [`${PROJECT_ROOT}dist/server/tools/recount.js`], {
    env: { PATH: process.env.PATH, MONGO_URL: mongoUrl, LOG_LEVEL: 'warn' },
  });
  t.regex(stdout, /^recounted: fixed [1-9]\d* users, [1-9]\d* videos$/m);
  t.deepEqual(await drift(db), []);
  const friends = await apis[0]!.get('/douyin/relation/friend/list/', { token: a.token });
  t.deepEqual(friends.body.user_list.map((user: { id: number }) => user.id), [b.id]);
});
