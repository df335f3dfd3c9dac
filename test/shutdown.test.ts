import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import type { RunningStore } from '../server/store/embedded.js';
import { freePort } from '../server/store/free-port.js';
import { client } from './helpers/api.js';
import { startTestRedis } from './helpers/redis.js';
import { startServer, type ServerProcess } from './helpers/server.js';
import { connect } from './helpers/sockets.js';
import { startRestartableStore, startTestStore } from './helpers/store.js';

/**
 * Issue 21, item 4: SIGTERM ends the process within a bounded time whatever its dependencies do
 * (Redis unreachable or frozen, the store frozen), with real processes.
 */
const test = anyTest.serial as TestFn<{ store: RunningStore }>;

/** The shutdown deadline (SHUTDOWN_DEADLINE_MS, default), plus what the exit takes to reach the test. */
const STOPPED_WITHIN_MS = 10_000 + 1_000;

test.before(async (t) => {
  t.context = { store: await startTestStore() };
});
test.after.always(async (t) => {
  await t.context.store?.stop();
});

/** SIGTERM, then how long the process took to exit and with which code; SIGKILL after 30 s (a hang). */
async function terminate(t: ExecutionContext, server: ServerProcess): Promise<{ code: number | null; ms: number }> {
  t.teardown(() => server.stop('SIGKILL'));
  const started = Date.now();
  const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
  server.child.kill('SIGTERM');
  const hung = setTimeout(() => server.child.kill('SIGKILL'), 30_000);
  const code = await exited;
  clearTimeout(hung);
  return { code, ms: Date.now() - started };
}

/** A user with a socket and a message through REST: Redis has subscriptions and publishes to give up. */
async function someTraffic(server: ServerProcess): Promise<() => void> {
  const api = client(server.baseUrl);
  const [alice, bob] = await Promise.all([api.newUser('alice'), api.newUser('bob')]);
  const socket = await connect(server.realtimeUrl, bob.token);
  const sent = await api.post('/douyin/message/action/', { token: alice.token, to_user_id: bob.id, action_type: 1, content: 'hi' });
  if (sent.body.status_code !== 0) throw new Error(JSON.stringify(sent.body));
  return () => socket.close();
}

/** SIGTERM ends the process with code 0 within STOPPED_WITHIN_MS, every step undone. */
async function stopsCleanly(t: ExecutionContext, server: ServerProcess): Promise<void> {
  const { code, ms } = await terminate(t, server);
  t.log(`exit code ${code} after ${ms} ms`);
  t.true(ms < STOPPED_WITHIN_MS, `stopped in ${ms} ms`);
  t.is(code, 0, server.output.slice(-5).join('\n'));
  t.true(server.output.some((line) => line.includes('"msg":"stopped"')), 'every step was undone');
}

test('SIGTERM with Redis unreachable: the process stops cleanly within the deadline', async (t) => {
  const nothing = await freePort(); // nothing listens there: every connection is refused
  const server = await startServer({ MONGO_URL: `${t.context.store.url}unreachable`, REDIS_URL: `redis://127.0.0.1:${nothing}` });
  t.teardown(await someTraffic(server));
  await stopsCleanly(t, server);
});

test('SIGTERM with Redis frozen (SIGSTOP): the process stops cleanly within the deadline', async (t) => {
  const redis = await startTestRedis();
  t.teardown(async () => {
    redis.resume();
    await redis.stop();
  });
  const server = await startServer({ MONGO_URL: `${t.context.store.url}frozen`, REDIS_URL: redis.url });
  t.teardown(await someTraffic(server));
  redis.pause();
  await stopsCleanly(t, server);
});

test('SIGTERM with the store frozen: the deadline ends the process with code 1 and says what it waited for', async (t) => {
  const store = await startRestartableStore();
  t.teardown(async () => {
    process.kill(store.pid, 'SIGCONT');
    await store.stop();
    await store.remove();
  });
  const server = await startServer({ MONGO_URL: `${store.url}frozen-store` });
  await client(server.baseUrl).newUser('carol');
  process.kill(store.pid, 'SIGSTOP');
  const waiting = fetch(`${server.baseUrl}/douyin/feed/`).then((response) => response.status, () => 'cut');
  await new Promise((resolve) => setTimeout(resolve, 500)); // the request is being worked on
  const { code, ms } = await terminate(t, server);
  t.log(`exit code ${code} after ${ms} ms`);
  t.true(ms < STOPPED_WITHIN_MS, `stopped in ${ms} ms`);
  t.true(ms >= 10_000 - 500, `the deadline, not before (${ms} ms)`);
  t.is(code, 1);
  const said = server.output.find((line) => line.includes('shutdown did not finish'));
  t.truthy(said, server.output.slice(-5).join('\n'));
  t.regex(said!, /"level":50/);
  t.regex(said!, /still waiting for the store connection/);
  t.is(await waiting, 503, 'the request in flight was answered at its own deadline first');
});
