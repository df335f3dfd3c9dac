import anyTest, { type TestFn } from 'ava';
import type { MessageView } from '../realtime/contract.js';
import { client } from './helpers/api.js';
import { startServer } from './helpers/server.js';
import { connect, settle, type Recorder } from './helpers/sockets.js';
import { useBackends, type Backends } from './helpers/stack.js';

/** Outages and restarts, with real processes: each test starts the servers it breaks. */
const test = anyTest.serial as TestFn<Backends>;

useBackends(test);

/** Catches up from `after` until has_more is false; returns every message by id. */
async function catchUp(socket: Recorder, after: number, into = new Map<number, MessageView>()): Promise<Map<number, MessageView>> {
  for (let cursor = after; ;) {
    const page = await socket.sync({ after_id: cursor });
    if (page.status_code !== 0) throw new Error(JSON.stringify(page));
    for (const message of page.message_list as MessageView[]) into.set(message.id, message);
    cursor = Math.max(cursor, ...page.message_list.map((message: MessageView) => message.id));
    if (!page.has_more) return into;
  }
}

test('Redis down and back: REST keeps succeeding, local pushes go on, cross-process pushes resume, sync fills the gap', async (t) => {
  const { store, redis } = t.context;
  const env = { MONGO_URL: `${store.url}outage`, REDIS_URL: redis.url };
  const a = await startServer(env);
  t.teardown(() => a.stop());
  const b = await startServer(env);
  t.teardown(() => b.stop());
  const api = client(a.baseUrl);
  const [alice, bob] = await Promise.all([api.newUser('alice'), api.newUser('bob')]);
  const bobOnB = await connect(b.realtimeUrl, bob.token);
  const bobOnA = await connect(a.realtimeUrl, bob.token);
  t.teardown(() => [bobOnA, bobOnB].forEach((socket) => socket.close()));
  const say = async (content: string) => (await api.post('/douyin/message/action/', { token: alice.token, to_user_id: bob.id, action_type: 1, content })).body.status_code;

  t.is(await say('before'), 0);
  const [before] = await bobOnB.waitFor('message:new');

  const readiness = async () => (await fetch(`${a.baseUrl}/readyz`)).json() as Promise<{ checks: Record<string, string> }>;
  t.deepEqual((await readiness()).checks, { store: 'ok', redis: 'ok' });
  await redis.stop();
  await settle(300);
  t.deepEqual((await readiness()).checks, { store: 'ok', redis: 'down' }, '/readyz tells the balancer');
  t.regex(await (await fetch(`${a.baseUrl}/metrics`)).text(), /^redis_up 0$/m, 'and /metrics the monitoring');
  for (let i = 0; i < 5; i += 1) t.is(await say(`during ${i}`), 0, 'REST answers while Redis is down');
  await bobOnA.waitFor('message:new', 6);
  t.deepEqual(bobOnA.received('message:new').map((m) => m.content).slice(1), ['during 0', 'during 1', 'during 2', 'during 3', 'during 4'], 'same-process pushes go on');
  await settle(500);
  t.is(bobOnB.received('message:new').length, 1, 'cross-process pushes pause');

  await redis.start();
  let resumed = false;
  for (let attempt = 0; attempt < 40 && !resumed; attempt += 1) {
    t.is(await say(`after ${attempt}`), 0);
    resumed = await bobOnB.waitFor('message:new', 2, 500).then(() => true, () => false);
  }
  t.true(resumed, 'cross-process pushes resume by themselves');
  t.deepEqual((await readiness()).checks, { store: 'ok', redis: 'ok' });

  const all = await catchUp(bobOnB, before!.id);
  for (let i = 0; i < 5; i += 1) t.true([...all.values()].some((m) => m.content === `during ${i}`), `sync recovers "during ${i}"`);
});

for (const signal of ['SIGTERM', 'SIGKILL'] as const) test(`${signal} on one process: its clients reconnect to the other, catch up, and lose nothing; the other's clients stay`, async (t) => {
  const { store, redis } = t.context;
  const env = { MONGO_URL: `${store.url}failover-${signal}`, REDIS_URL: redis.url };
  const a = await startServer(env);
  t.teardown(() => a.stop());
  const b = await startServer(env);
  t.teardown(() => b.stop('SIGKILL'));
  const api = client(a.baseUrl);
  const [alice, bob] = await Promise.all([api.newUser('alice'), api.newUser('bob')]);
  let bobSocket = await connect(b.realtimeUrl, bob.token);
  const aliceOnA = await connect(a.realtimeUrl, alice.token);
  t.teardown(() => aliceOnA.close());
  let aliceDropped = false;
  aliceOnA.socket.on('disconnect', () => (aliceDropped = true));
  const received = new Map<number, MessageView>();
  const remember = (socket: Recorder) => socket.socket.on('message:new', (message) => received.set(message.id, message));
  remember(bobSocket);

  const sent: number[] = [];
  let sending = true;
  const sender = (async () => {
    for (let i = 0; sending && i < 400; i += 1) {
      const answer = await api.post('/douyin/message/action/', { token: alice.token, to_user_id: bob.id, action_type: 1, content: `msg ${i}` });
      if (answer.body.status_code === 0) sent.push(i);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();

  await bobSocket.waitFor('message:new', 5);
  const disconnected = new Promise<string>((resolve) => bobSocket.socket.once('disconnect', resolve));
  const exited = b.stop(signal);
  // Not "io server disconnect", after which Socket.IO clients do not reconnect by themselves.
  t.is(await disconnected, 'transport close', 'a client of the stopping process reconnects by itself (to another one behind a balancer)');
  const lastSeen = Math.max(...received.keys());

  bobSocket = await connect(a.realtimeUrl, bob.token);
  t.teardown(() => bobSocket.close());
  remember(bobSocket);
  await catchUp(bobSocket, lastSeen, received);
  await new Promise((resolve) => setTimeout(resolve, 300));
  sending = false;
  await sender;
  t.is(await exited, signal === 'SIGTERM' ? 0 : null, 'SIGTERM: the process exits cleanly');
  t.false(aliceDropped, 'a process stopping disconnects its own sockets only, not those of the others');
  await settle(500);
  await catchUp(bobSocket, lastSeen, received);

  const contents = new Set([...received.values()].map((m) => m.content));
  const missing = sent.filter((i) => !contents.has(`msg ${i}`));
  t.deepEqual(missing, [], `all ${sent.length} messages reached bob`);
});

test('the same contract runs on Node\'s HTTP server when uWebSockets.js is not used', async (t) => {
  const { store } = t.context;
  const server = await startServer({ MONGO_URL: `${store.url}fallback`, REALTIME_TRANSPORT: 'node' });
  t.teardown(() => server.stop());
  t.true(server.output.some((line) => line.includes("realtime gateway on Node's HTTP server")));
  const api = client(server.baseUrl);
  const [alice, bob] = await Promise.all([api.newUser('alice'), api.newUser('bob')]);
  const [aliceSocket, bobSocket] = await Promise.all([connect(server.realtimeUrl, alice.token), connect(server.realtimeUrl, bob.token)]);
  t.teardown(() => [aliceSocket, bobSocket].forEach((socket) => socket.close()));
  const ack = await aliceSocket.send({ to_user_id: bob.id, content: 'on node:http' });
  t.is(ack.status_code, 0);
  t.deepEqual(await bobSocket.waitFor('message:new'), [ack.message]);
});
