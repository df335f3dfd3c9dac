import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import type { RunningStore } from '../server/store/embedded.js';
import { client, type Client } from './helpers/api.js';
import { startTestRedisCluster, type TestRedisCluster } from './helpers/redis-cluster.js';
import { startServer, type ServerProcess } from './helpers/server.js';
import { connect, settle, type Recorder } from './helpers/sockets.js';
import { startTestStore } from './helpers/store.js';

/**
 * The server on a real three-node Redis Cluster (REDIS_CLUSTER=on, REDIS_URL naming one node): pushes
 * between processes for users whose channels live on every node, on both adapters; cache
 * invalidations; rate limits whose keys live on every node; and the whole cluster down and back.
 */
interface Context {
  store: RunningStore;
  cluster: TestRedisCluster;
  /** Two processes on the sharded default, shared by the tests that do not change their settings. */
  a: ServerProcess;
  b: ServerProcess;
}

const test = anyTest.serial as TestFn<Context>;

type User = Awaited<ReturnType<Client['newUser']>>;

/** At least this many recipients, and more until their channels are on every node. */
const MIN_RECIPIENTS = 12;

const roomChannel = (userId: number) => `socket.io#/#user:${userId}#`;

/** Two processes on the cluster, once both have connected to it. */
async function startPair(context: Pick<Context, 'store' | 'cluster'>, db: string, env: Record<string, string> = {}): Promise<[ServerProcess, ServerProcess]> {
  // The second node, not the first: the others are discovered from it.
  const common = { MONGO_URL: `${context.store.url}${db}`, REDIS_URL: context.cluster.urls[1]!, REDIS_CLUSTER: 'on', ...env };
  const pair = await Promise.all([startServer(common), startServer(common)]);
  await Promise.all(pair.map(untilRedisReady));
  return pair;
}

/**
 * Waits until /readyz says the adapter's connections to the cluster are up (the rate limits' own,
 * opened before them, is up by then too; until it is, limits count in each process's memory).
 */
async function untilRedisReady(server: ServerProcess): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if ((await readiness(server)).redis === 'ok') return;
    await settle(50);
  }
  throw new Error(`${server.baseUrl} never connected to the cluster:\n${server.output.join('\n')}`);
}

async function readiness(server: ServerProcess): Promise<Record<string, string>> {
  return ((await (await fetch(`${server.baseUrl}/readyz`)).json()) as { checks: Record<string, string> }).checks;
}

test.before(async (t) => {
  const [store, cluster] = await Promise.all([startTestStore(), startTestRedisCluster()]);
  const [a, b] = await startPair({ store, cluster }, 'cluster');
  t.context = { store, cluster, a, b };
});

test.after.always(async (t) => {
  await Promise.all([t.context.a?.stop(), t.context.b?.stop()]);
  await t.context.cluster?.stop();
  await t.context.store?.stop();
});

/** Registers recipients until there are MIN_RECIPIENTS and their channels' slots cover every node. */
async function recipientsOnEveryNode(t: ExecutionContext<Context>, api: Client): Promise<User[]> {
  const { cluster } = t.context;
  const users: User[] = [];
  const nodes = new Set<string>();
  while (users.length < MIN_RECIPIENTS || nodes.size < cluster.urls.length) {
    const user = await api.newUser(`recipient${users.length}`);
    users.push(user);
    nodes.add(await cluster.nodeOf(roomChannel(user.id)));
  }
  t.log(`${users.length} recipients, channels on ${nodes.size} nodes`);
  return users;
}

/** A sender, and recipients (with channels on every node) whose sockets are on `b`. */
async function senderAndRecipients(t: ExecutionContext<Context>, a: ServerProcess, b: ServerProcess) {
  const api = client(a.baseUrl);
  const sender = await api.newUser('sender');
  const recipients = await recipientsOnEveryNode(t, api);
  const sockets = await Promise.all(recipients.map((recipient) => connect(b.realtimeUrl, recipient.token)));
  t.teardown(() => sockets.forEach((socket) => socket.close()));
  await settle(300); // the sharded adapter subscribes a new room's channel without waiting for Redis
  const say = async (to: User, content: string) => (await api.post('/douyin/message/action/', { token: sender.token, to_user_id: to.id, action_type: 1, content })).body.status_code as number;
  return { recipients, sockets, say };
}

/** Posts one message on A to each recipient and returns what each socket on B received (nothing after 5 s counts as nothing). */
async function messageEach(recipients: User[], sockets: Recorder[], say: (to: User, content: string) => Promise<number>, label: string): Promise<string[][]> {
  for (const [i, recipient] of recipients.entries()) {
    const status = await say(recipient, `${label} ${i}`);
    if (status !== 0) throw new Error(`posting "${label} ${i}" answered ${status}`);
  }
  return Promise.all(sockets.map(async (socket) => {
    await socket.waitFor('message:new').catch(() => undefined);
    return socket.received('message:new').map((message) => message.content).filter((content) => content.startsWith(label));
  }));
}

test('sharded (the default): a message posted on A reaches its recipient on B, for users whose channels are on each of the three nodes', async (t) => {
  const { a, b, cluster } = t.context;
  const { recipients, sockets, say } = await senderAndRecipients(t, a, b);
  const received = await messageEach(recipients, sockets, say, 'hello');
  t.deepEqual(received, recipients.map((_, i) => [`hello ${i}`]), 'every recipient on B gets its message');
  for (const recipient of recipients) {
    const channel = roomChannel(recipient.id);
    t.deepEqual(await cluster.command(await cluster.nodeOf(channel), 'PUBSUB', 'SHARDNUMSUB', channel), [channel, 1], `${channel}: B subscribes on the node holding its slot`);
  }
  for (const server of [a, b]) {
    t.true(server.output.some((line) => line.includes('sharded Redis adapter on a Redis Cluster')), 'the start line says so');
    t.false(server.output.some((line) => line.includes('node of a Redis Cluster')), 'no misconfiguration error');
  }
});

test('REDIS_ADAPTER=classic: the same messages arrive through classic pub/sub, which the cluster forwards to every node', async (t) => {
  const { cluster } = t.context;
  const [a, b] = await startPair(t.context, 'cluster-classic', { REDIS_ADAPTER: 'classic' });
  t.teardown(() => Promise.all([a.stop(), b.stop()]));
  const { recipients, sockets, say } = await senderAndRecipients(t, a, b);
  const received = await messageEach(recipients, sockets, say, 'hello');
  t.deepEqual(received, recipients.map((_, i) => [`hello ${i}`]));
  for (const recipient of recipients) {
    const channel = roomChannel(recipient.id);
    t.deepEqual(await cluster.command(await cluster.nodeOf(channel), 'PUBSUB', 'SHARDNUMSUB', channel), [channel, 0], `${channel}: no sharded channel`);
  }
});

test('cache invalidations: a follow on A shows at once in the follower list B has cached', async (t) => {
  const { a, b } = t.context;
  const [onA, onB] = [client(a.baseUrl), client(b.baseUrl)];
  const [fan, star] = await Promise.all([onA.newUser('fan'), onA.newUser('star')]);
  const followers = async () => (await onB.get('/douyin/relation/follower/list/', { token: fan.token, user_id: star.id })).body.user_list.map((user: { id: number }) => user.id) as number[];
  t.deepEqual(await followers(), [], 'cached on B');
  t.is((await onA.post('/douyin/relation/action/', { token: fan.token, to_user_id: star.id, action_type: 1 })).body.status_code, 0);
  let seen = await followers();
  for (let attempt = 0; attempt < 50 && seen.length === 0; attempt += 1) {
    await settle(20);
    seen = await followers();
  }
  t.deepEqual(seen, [fan.id], 'seen on B within a second, not after the cache expires');
});

test('rate limits are shared by the processes, with counters on each of the three nodes', async (t) => {
  const { cluster } = t.context;
  const [a, b] = await startPair(t.context, 'cluster-limits', { RATE_LIMITS: 'on', TRUST_PROXY: '1' });
  t.teardown(() => Promise.all([a.stop(), b.stop()]));
  const address = '203.0.113.9';
  const key = (username: string) => `douyin:limit:loginFailuresPerAddressAndUsername:${address}|${username}`;
  const login = async (server: ServerProcess, username: string) => {
    const response = await fetch(`${server.baseUrl}/douyin/user/login/`, {
      method: 'POST',
      headers: { 'x-forwarded-for': address },
      body: new URLSearchParams({ username, password: 'wrong-password' }),
    });
    return (await response.json()) as { status_code: number; status_msg: string };
  };
  // One username whose counter lives on each node (the name need not be registered: failures count alike).
  const byNode = new Map<string, string>();
  for (let i = 0; byNode.size < cluster.urls.length; i += 1) {
    const node = await cluster.nodeOf(key(`guessed_${i}`));
    if (!byNode.has(node)) byNode.set(node, `guessed_${i}`);
  }
  for (const [node, username] of byNode) {
    for (let i = 0; i < 10; i += 1) t.is((await login(i % 2 ? a : b, username)).status_code, 20003);
    const locked = await login(a, username);
    t.is(locked.status_code, 20005, `${username}: ten failures, five on each process, lock it`);
    t.regex(locked.status_msg, /^too many failed logins for this username from this address/);
    t.is(await cluster.command(node, 'GET', key(username)), '11', `${username}: one counter, on the node holding its slot`);
  }
});

test('the whole cluster down and back: REST and local pushes go on, then pushes between processes resume on every node', async (t) => {
  const { a, b, cluster } = t.context;
  const { recipients, sockets, say } = await senderAndRecipients(t, a, b);
  const firstOnA = await connect(a.realtimeUrl, recipients[0]!.token);
  t.teardown(() => firstOnA.close());

  await cluster.stopNodes();
  await settle(300);
  t.deepEqual(await readiness(a), { store: 'ok', redis: 'down' });
  t.is(await say(recipients[0]!, 'during'), 0, 'REST answers while the cluster is down');
  t.deepEqual((await firstOnA.waitFor('message:new')).map((message) => message.content), ['during'], 'same-process pushes go on');
  await settle(2_000); // the clients try the nodes again and again meanwhile
  await cluster.startNodes();

  let missing = recipients.map((_, i) => i);
  for (let round = 0; round < 30 && missing.length > 0; round += 1) {
    for (const i of missing) await say(recipients[i]!, `after ${i}`);
    await settle(500);
    missing = missing.filter((i) => !sockets[i]!.received('message:new').some((message) => message.content === `after ${i}`));
  }
  t.deepEqual(missing, [], 'every recipient on B is reached again, whichever node holds its channel');
  t.deepEqual(await readiness(a), { store: 'ok', redis: 'ok' });
});
