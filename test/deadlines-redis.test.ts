import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import { client } from './helpers/api.js';
import { ack, countByKind, DEFAULT_BUDGET, descriptorsOf, eventually, everyMessage, metric, rest, sleep, Traffic, watchReadiness } from './helpers/faults.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { startServer } from './helpers/server.js';
import { connect } from './helpers/sockets.js';
import { startTestStore } from './helpers/store.js';
import type { RunningStore } from '../server/store/embedded.js';

/**
 * Issue 27 with Redis (two processes, rate limits on): frozen (SIGSTOP: its connections stay open and
 * nothing is answered) or killed under a little traffic, REST and acks go on succeeding within the
 * budget (limits count in memory, pushes pause), /readyz says Redis is down within 5 s and recovers,
 * and every message acknowledged reaches its recipient on the other process, live or by catch-up.
 */
const test = anyTest.serial as TestFn<{ store: RunningStore }>;

const ANSWERED_WITHIN_MS = 5_500;
const READY_FAILS_WITHIN_MS = 5_000;
const FAULT_MS = 7_000;
/** Descriptors beyond the count before the fault, apart from connections to Redis and the store. */
const FD_SLACK = 4;

test.before(async (t) => {
  t.context = { store: await startTestStore() };
});

test.after.always(async (t) => {
  await t.context.store?.stop();
});

async function underRedisFault(t: ExecutionContext<{ store: RunningStore }>, db: string, fault: (redis: TestRedis) => { begin(): Promise<void> | void; end(): Promise<void> | void }) {
  const redis = await startTestRedis();
  t.teardown(() => redis.stop());
  const env = { MONGO_URL: `${t.context.store.url}${db}`, REDIS_URL: redis.url, RATE_LIMITS: 'on', ...DEFAULT_BUDGET };
  const [a, b] = await Promise.all([startServer(env), startServer(env)]);
  t.teardown(() => Promise.all([a.stop(), b.stop()]));
  const api = client(a.baseUrl);
  const [alice, bob] = await Promise.all([api.newUser('alice'), api.newUser('bob')]);
  const aliceOnA = await connect(a.realtimeUrl, alice.token);
  const bobOnB = await connect(b.realtimeUrl, bob.token);
  t.teardown(() => [aliceOnA, bobOnB].forEach((socket) => socket.close()));
  const redisPort = Number(new URL(redis.url).port);
  const storePort = Number(new URL(t.context.store.url).port);
  const ownPorts = [a.baseUrl, a.realtimeUrl].map((url) => Number(new URL(url).port));
  const held = () => {
    const descriptors = descriptorsOf(a.child.pid!).filter((d) => !('tcp' in d && ownPorts.includes(d.tcp.local) && d.tcp.remote !== 0));
    const toRedis = descriptors.filter((d) => 'tcp' in d && d.tcp.remote === redisPort).length;
    return { toRedis, other: descriptors.filter((d) => !('tcp' in d && (d.tcp.remote === redisPort || d.tcp.remote === storePort))) };
  };
  const before = held();

  const { token } = alice;
  const load = new Traffic([
    // One message a round, over REST and the socket in turn: under the limit of 60 a minute.
    (n) => (n % 2 === 0
      ? { what: 'POST message', key: `rest-${n}`, answer: rest(a.baseUrl, 'POST', '/douyin/message/action/', { token, to_user_id: bob.id, action_type: 1, content: `rest-${n}`, client_msg_id: `rest-${n}` }) }
      : { what: 'message:send', key: `socket-${n}`, answer: ack(aliceOnA, 'message:send', { to_user_id: bob.id, content: `socket-${n}`, client_msg_id: `socket-${n}` }) }),
    () => ({ what: 'login', answer: rest(a.baseUrl, 'POST', '/douyin/user/login/', { username: alice.username, password: 'correct-horse' }) }),
    () => ({ what: 'GET user', answer: rest(a.baseUrl, 'GET', '/douyin/user/', { token, user_id: bob.id }) }),
  ], 500);
  load.start();
  await sleep(1_500);
  const { begin, end } = fault(redis);
  const faultAt = Date.now();
  await begin();
  const readiness = watchReadiness(a.baseUrl);
  await sleep(FAULT_MS);
  const endedAt = Date.now();
  await end();
  t.true(await eventually(async () => (await fetch(`${a.baseUrl}/readyz`)).status === 200, 15_000), '/readyz recovers');
  await sleep(1_500);
  const outcomes = await load.stop();
  const samples = await readiness.stop();

  t.deepEqual(outcomes.filter((o) => o.ms === undefined).map((o) => o.what), [], 'no request left without an answer');
  t.deepEqual(outcomes.filter((o) => o.ms !== undefined && o.ms > ANSWERED_WITHIN_MS).map((o) => `${o.what} after ${o.ms} ms`), [], `every answer within ${ANSWERED_WITHIN_MS} ms`);
  t.deepEqual(outcomes.filter((o) => o.ms !== undefined && o.code !== 0).map((o) => `${o.what}: ${JSON.stringify(o.body)}`), [], 'every request succeeds: Redis holds nothing a request needs');
  const slowest = Math.max(...outcomes.filter((o) => o.at >= faultAt + 2_000 && o.at < endedAt).map((o) => o.ms!));
  t.true(slowest < 1_500, `once Redis is known frozen, requests no longer wait for it: the slowest took ${slowest} ms`);

  const failing = samples.find((sample) => sample.status === 503 && sample.checks.redis === 'down');
  t.truthy(failing, '/readyz fails while Redis does not answer');
  t.true(failing !== undefined && failing.answeredAt - faultAt <= READY_FAILS_WITHIN_MS, `/readyz failed ${failing && failing.answeredAt - faultAt} ms after the fault`);
  t.deepEqual(samples.filter((s) => s.at >= failing!.answeredAt && s.answeredAt < endedAt && s.status !== 503), [], '/readyz keeps failing while the fault lasts');

  // Every message acknowledged reaches bob on the other process: live, or by catching up.
  const acknowledged = outcomes.filter((o) => o.key !== undefined && o.code === 0).map((o) => o.key!);
  const live = new Set(bobOnB.received('message:new').map((message) => message.content));
  const caughtUp = new Set((await everyMessage(bobOnB, alice.id)).map((message) => message.content));
  t.deepEqual(acknowledged.filter((key) => !caughtUp.has(key)), [], 'every acknowledged message is stored');
  t.true(acknowledged.filter((key) => !live.has(key)).length > 0, 'pushes across processes paused while Redis was away');
  const afterwards = outcomes.filter((o) => o.key !== undefined && o.at > endedAt + 3_000).map((o) => o.key!);
  t.true(await eventually(() => afterwards.every((key) => bobOnB.received('message:new').some((message) => message.content === key)), 5_000), 'and resumed with it');

  t.true(await eventually(async () => (await metric(a.baseUrl, 'requests_pending')) === 0, 10_000), 'no request left running in the server');
  t.true(await eventually(() => held().other.length <= before.other.length + FD_SLACK && held().toRedis <= before.toRedis, 15_000),
    `descriptors back to their count before the fault: ${JSON.stringify({ ...held(), other: countByKind(held().other) })}, before ${JSON.stringify({ ...before, other: countByKind(before.other) })}`);
}

test('Redis frozen: REST and acks succeed within 5.5 s (within 1.5 s once it is known frozen), /readyz fails within 5 s and recovers, nothing lost', (t) =>
  underRedisFault(t, 'redis-frozen', (redis) => ({ begin: () => redis.pause(), end: () => redis.resume() })));

test('Redis killed and started again: the same', (t) =>
  underRedisFault(t, 'redis-killed', (redis) => ({ begin: () => redis.stop(), end: () => redis.start() })));
