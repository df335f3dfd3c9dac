import anyTest, { type TestFn } from 'ava';
import { client, type Client } from './helpers/api.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { startServer, type ServerProcess } from './helpers/server.js';
import { connect, settle, type Recorder } from './helpers/sockets.js';
import { FOLD_MS } from '../models/write-behind.js';
import { eventually } from './helpers/faults.js';
import { OFFLINE_GRACE_MS } from '../realtime/presence-store.js';
import { SWEEP_EVERY_MS } from '../realtime/presence.js';
import { startTestStore } from './helpers/store.js';
import type { RunningStore } from '../server/store/embedded.js';

/**
 * Read receipts, unread counts, typing and presence (realtime-contract.md, "Read state, typing and
 * presence") with real Socket.IO clients on two server processes sharing one store and one Redis.
 */
interface Context {
  store: RunningStore;
  redis: TestRedis;
  env: Record<string, string>;
  a: ServerProcess;
  /** Shared by the tests (ava gives each a copy of the context): one test restarts `b`. */
  live: { b: ServerProcess };
  sockets: Recorder[];
}
const test = anyTest.serial as TestFn<Context>;
type User = { id: number; token: string };

test.before(async (t) => {
  const [store, redis] = await Promise.all([startTestStore(), startTestRedis()]);
  const env = { MONGO_URL: `${store.url}messenger`, REDIS_URL: redis.url };
  const [a, b] = await Promise.all([startServer(env), startServer(env)]);
  t.context = { store, redis, env, a, live: { b }, sockets: [] };
});

test.afterEach.always((t) => {
  t.context.sockets.splice(0).forEach((socket) => socket.close());
});

test.after.always(async (t) => {
  await Promise.all([t.context.a?.stop(), t.context.live?.b.stop()]);
  await t.context.redis?.stop();
  await t.context.store?.stop();
});

const api = (server: ServerProcess): Client => client(server.baseUrl);

async function socketOn(t: { context: Context }, server: ServerProcess, user: User): Promise<Recorder> {
  const socket = await connect(server.realtimeUrl, user.token);
  t.context.sockets.push(socket);
  return socket;
}

async function friends(server: ServerProcess, ...names: string[]): Promise<User[]> {
  const users = await Promise.all(names.map((name) => api(server).newUser(name)));
  for (const user of users) {
    for (const other of users) {
      if (other !== user) await api(server).post('/douyin/relation/action/', { token: user.token, to_user_id: other.id, action_type: 1 });
    }
  }
  return users;
}

async function friendEntry(server: ServerProcess, viewer: User, friendId: number): Promise<Record<string, any>> {
  const { body } = await api(server).get('/douyin/relation/friend/list/', { token: viewer.token });
  const entry = (body.user_list as Array<Record<string, any>>).find((user) => user.id === friendId);
  if (!entry) throw new Error(`no friend ${friendId} in ${JSON.stringify(body)}`);
  return entry;
}

async function sendVia(server: ServerProcess, from: User, to: User, content: string): Promise<void> {
  const { body } = await api(server).post('/douyin/message/action/', { token: from.token, to_user_id: to.id, action_type: 1, content });
  if (body.status_code !== 0) throw new Error(JSON.stringify(body));
}

async function lastMessageIds(server: ServerProcess, viewer: User, peer: User): Promise<number[]> {
  const { body } = await api(server).get('/douyin/message/chat/', { token: viewer.token, to_user_id: peer.id });
  return (body.message_list as Array<{ id: number; from_user_id: number }>).filter((m) => m.from_user_id === peer.id).map((m) => m.id);
}

test('a read receipt reaches the sender on the other process and the reader\'s other devices, and only moves forward', async (t) => {
  const { a, live: { b } } = t.context;
  const [alice, bob] = await friends(a, 'alice', 'bob');
  const aliceOnA = await socketOn(t, a, alice!);
  const [bobOnB, bobOtherOnA] = [await socketOn(t, b, bob!), await socketOn(t, a, bob!)];
  const sent = [];
  for (let i = 0; i < 3; i += 1) sent.push((await aliceOnA.send({ to_user_id: bob!.id, content: `hi ${i}` })).message.id as number);

  const ack = await bobOnB.ask('message:read', { to_user_id: alice!.id, up_to_id: sent[2] });
  t.like(ack, { status_code: 0, unread_count: 0 });
  const [receipt] = await aliceOnA.waitFor('message:read');
  t.like(receipt, { reader_id: bob!.id, peer_id: alice!.id, up_to_id: sent[2] });
  t.regex(receipt!.read_time, /^\d+$/);
  t.like((await bobOtherOnA.waitFor('message:read'))[0], { reader_id: bob!.id, up_to_id: sent[2] });
  t.is(bobOnB.received('message:read').length, 0, 'the marking socket has its ack');

  // An older id changes nothing and tells nobody; the REST mark answers the same count.
  t.like(await bobOnB.ask('message:read', { to_user_id: alice!.id, up_to_id: sent[0] }), { status_code: 0, unread_count: 0 });
  const rest = await api(b).post('/douyin/message/read/', { token: bob!.token, to_user_id: alice!.id, up_to_id: sent[1] });
  t.like(rest.body, { status_code: 0, unread_count: 0 });
  await settle();
  t.is(aliceOnA.received('message:read').length, 1);
  t.is((await friendEntry(a, alice!, bob!.id)).peer_read_id, sent[2]);
});

test('unread counts are exact after a burst on both processes, a reconnect and a server restart', async (t) => {
  const { a, env } = t.context;
  const [carol, dan] = await friends(a, 'carol', 'dan');
  await Promise.all(Array.from({ length: 30 }, (_, i) => sendVia(i % 2 ? a : t.context.live.b, carol!, dan!, `burst ${i}`)));
  await sendVia(a, dan!, carol!, 'a reply is not a read');
  t.like(await friendEntry(t.context.live.b, dan!, carol!.id), { unread_count: 30, peer_read_id: 0 });
  t.like(await friendEntry(a, carol!, dan!.id), { unread_count: 1 });

  const ids = (await lastMessageIds(a, dan!, carol!)).sort((x, y) => x - y);
  t.is(ids.length, 30);
  const danOnB = await socketOn(t, t.context.live.b, dan!);
  t.like(await danOnB.ask('message:read', { to_user_id: carol!.id, up_to_id: ids[9] }), { status_code: 0, unread_count: 20 });
  t.is((await friendEntry(a, dan!, carol!.id)).unread_count, 20);

  danOnB.close();
  const again = await socketOn(t, a, dan!);
  t.like(await again.ask('message:read', { to_user_id: carol!.id, up_to_id: ids[4] }), { status_code: 0, unread_count: 20 });

  await t.context.live.b.stop();
  t.context.live.b = await startServer(env);
  t.is((await friendEntry(t.context.live.b, dan!, carol!.id)).unread_count, 20);
  t.like(await api(t.context.live.b).post('/douyin/message/read/', { token: dan!.token, to_user_id: carol!.id, up_to_id: ids[29] }), { body: { unread_count: 0 } });
  // Another process sees a change within a second: its caches are told through Redis, which a
  // process joins before it serves.
  t.true(await eventually(async () => (await friendEntry(a, dan!, carol!.id)).unread_count === 0, 1_500), 'read everywhere within a second');
  t.is((await friendEntry(a, carol!, dan!.id)).peer_read_id, ids[29]);
});

async function writesOf(server: ServerProcess): Promise<number> {
  const text = await (await fetch(`${server.baseUrl}/metrics`)).text();
  let total = 0;
  for (const [, command, collection, value] of text.matchAll(/^store_commands_total\{command="(\w+)",collection="([^"]*)"\} (\d+)/gm)) {
    if (['insert', 'update', 'delete', 'findAndModify'].includes(command!) && collection !== 'worker_leases') total += Number(value);
  }
  return total;
}

test('typing reaches the recipient on the other process at most once a second per pair, and is never stored', async (t) => {
  const { a, live: { b } } = t.context;
  const [erin, finn] = await friends(a, 'erin', 'finn');
  const [erinOnA, erinOnB, finnOnB] = [await socketOn(t, a, erin!), await socketOn(t, b, erin!), await socketOn(t, b, finn!)];
  await settle(FOLD_MS + 1_000); // the counters of earlier writes (these users' follows) are folded: their updates are not typing's
  const writesBefore = (await writesOf(a)) + (await writesOf(b));
  for (let i = 0; i < 5; i += 1) {
    t.like(await erinOnA.ask('typing', { to_user_id: finn!.id }), { status_code: 0 });
    t.like(await erinOnB.ask('typing', { to_user_id: finn!.id }), { status_code: 0 });
  }
  t.deepEqual(await finnOnB.waitFor('typing'), [{ from_user_id: erin!.id }]);
  await settle(1_100);
  await erinOnB.ask('typing', { to_user_id: finn!.id });
  t.is((await finnOnB.waitFor('typing', 2)).length, 2);
  await settle();
  t.is(finnOnB.received('typing').length, 2);
  t.is((await writesOf(a)) + (await writesOf(b)), writesBefore, 'nothing was written');
  t.is(erinOnA.received('typing').length + erinOnB.received('typing').length, 0);
});

test('read marks and typing follow the chat rules, and a malformed one costs only its own answer', async (t) => {
  const { a } = t.context;
  const [gus] = await friends(a, 'gus');
  const gusOnA = await socketOn(t, a, gus!);
  t.like(await gusOnA.ask('typing', { to_user_id: gus!.id }), { status_code: 40002 });
  t.like(await gusOnA.ask('message:read', { to_user_id: 99_999_999, up_to_id: 1 }), { status_code: 30001, unread_count: 0 });
  t.like(await gusOnA.ask('message:read', { to_user_id: 'x', up_to_id: {} }), { status_code: 10001, unread_count: 0 });
  t.like(await gusOnA.ask('typing', []), { status_code: 10001 });
  t.like(await gusOnA.ask('presence:list', 'nonsense'), { status_code: 10001, online_user_ids: [] });
  t.true(gusOnA.socket.connected);
});

test('presence follows a user\'s sockets on both processes and only friends hear it', async (t) => {
  const { a, live: { b } } = t.context;
  const [hana, ivan] = await friends(a, 'hana', 'ivan');
  const stranger = await api(a).newUser('stranger');
  await api(a).post('/douyin/relation/action/', { token: stranger.token, to_user_id: hana!.id, action_type: 1 });
  const [ivanOnB, strangerOnB] = [await socketOn(t, b, ivan!), await socketOn(t, b, stranger)];
  t.like(await ivanOnB.ask('presence:list', {}), { status_code: 0, online_user_ids: [] });

  const first = await socketOn(t, a, hana!);
  const [online] = await ivanOnB.waitFor('presence');
  t.like(online, { user_id: hana!.id, online: true });
  t.regex(online!.last_seen, /^\d+$/);
  t.like(await ivanOnB.ask('presence:list', {}), { online_user_ids: [hana!.id] });
  t.true((await friendEntry(b, ivan!, hana!.id)).is_online);

  const second = await socketOn(t, b, hana!);
  first.close();
  await settle(500);
  t.is(ivanOnB.received('presence').length, 1, 'still online through the other process');
  second.close();
  const [, offline] = await ivanOnB.waitFor('presence', 2);
  t.like(offline, { user_id: hana!.id, online: false });
  t.true(Number(offline!.last_seen) >= Number(online!.last_seen));
  t.like(await ivanOnB.ask('presence:list', {}), { online_user_ids: [] });
  t.false((await friendEntry(a, ivan!, hana!.id)).is_online);
  t.is(strangerOnB.received('presence').length, 0, 'a follower who is not a friend hears nothing');
});

test('a reconnect within the offline grace announces nothing: no offline-online flicker for friends', async (t) => {
  const { a, live: { b } } = t.context;
  const [lea, max] = await friends(a, 'lea', 'max');
  const maxOnB = await socketOn(t, b, max!);
  const first = await socketOn(t, a, lea!);
  t.like((await maxOnB.waitFor('presence'))[0], { user_id: lea!.id, online: true });
  first.close();
  await settle(300);
  await socketOn(t, a, lea!); // the same process, a dropped connection coming back
  await settle(300);
  await socketOn(t, b, lea!); // and another device on the other process
  await settle(OFFLINE_GRACE_MS + 1_000);
  t.is(maxOnB.received('presence').length, 1, 'only the first online');
  t.like(await maxOnB.ask('presence:list', {}), { online_user_ids: [lea!.id] });
});

test('a process that is SIGKILLed takes its users offline within 30 s', async (t) => {
  const { a, env } = t.context;
  const [jade, kim] = await friends(a, 'jade', 'kim');
  const kimOnA = await socketOn(t, a, kim!);
  const doomed = await startServer(env);
  t.teardown(() => doomed.stop('SIGKILL'));
  const jadeOnDoomed = await connect(doomed.realtimeUrl, jade!.token);
  t.teardown(() => jadeOnDoomed.close());
  t.like((await kimOnA.waitFor('presence'))[0], { user_id: jade!.id, online: true });

  await doomed.stop('SIGKILL');
  const killedAt = Date.now();
  const [, offline] = await kimOnA.waitFor('presence', 2, 30_000);
  t.like(offline, { user_id: jade!.id, online: false });
  t.log(`offline ${Date.now() - killedAt} ms after the SIGKILL`);
  t.like(await kimOnA.ask('presence:list', {}), { online_user_ids: [] });
});

test('after Redis lost its data, presence is made true again: who is online is known again, and who left meanwhile is heard offline', async (t) => {
  const { a, redis, live: { b } } = t.context;
  const [olga, pete, quinn] = await friends(a, 'olga', 'pete', 'quinn');
  const peteOnB = await socketOn(t, b, pete!);
  await socketOn(t, a, olga!);
  const quinnOnA = await socketOn(t, a, quinn!);
  await peteOnB.waitFor('presence', 2);
  t.deepEqual(((await peteOnB.ask('presence:list', {})).online_user_ids as number[]).sort(), [olga!.id, quinn!.id].sort());

  await redis.stop(); // no persistence: it comes back empty
  quinnOnA.close(); // Redis cannot be told
  await settle(1_000);
  await redis.start();

  const resynced = await eventually(async () => {
    const answer = await peteOnB.ask('presence:list', {});
    return answer.status_code === 0 && JSON.stringify(answer.online_user_ids) === JSON.stringify([olga!.id]);
  }, SWEEP_EVERY_MS * 3);
  t.log(`presence:list after the restart: ${JSON.stringify(await peteOnB.ask('presence:list', {}))}`);
  t.true(resynced, 'Olga, still connected, is online again; Quinn is not');
  const offline = await eventually(() => peteOnB.received('presence').some((event) => event.user_id === quinn!.id && event.online === false), OFFLINE_GRACE_MS + 5_000);
  t.true(offline, 'Pete hears that Quinn left while Redis was away');
});
