import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import { Redis } from 'ioredis';
import { client } from './helpers/api.js';
import { removeDataDir, temporaryDir } from './helpers/dirs.js';
import { startTestRedis } from './helpers/redis.js';
import { lineMatching, startServer, type ServerProcess } from './helpers/server.js';
import { connect, settle } from './helpers/sockets.js';
import { useBackends, type Backends } from './helpers/stack.js';

/**
 * Which processes a message to one user costs: three real processes sharing one store and one real
 * redis-server. A takes the REST requests, B holds the recipient's socket, C a bystander's.
 */
const test = anyTest.serial as TestFn<Backends>;

useBackends(test);

const MESSAGES = 5;

async function packetsReceived(server: ServerProcess): Promise<number> {
  const text = await (await fetch(`${server.baseUrl}/metrics`)).text();
  return Number(/^realtime_adapter_packets_received_total (\d+)$/m.exec(text)![1]);
}

/** Starts A, B and C, sends MESSAGES from alice to bob on A; bob's socket is on B, carol's on C. */
async function messageAcrossProcesses(t: ExecutionContext<Backends>, db: string, env: Record<string, string>) {
  const { store, redis } = t.context;
  const processes = await Promise.all([0, 1, 2].map(() => startServer({ MONGO_URL: `${store.url}${db}`, REDIS_URL: redis.url, ...env })));
  t.teardown(() => Promise.all(processes.map((server) => server.stop())));
  const [a, b, c] = processes as [ServerProcess, ServerProcess, ServerProcess];
  const api = client(a.baseUrl);
  const [alice, bob, carol] = await Promise.all([api.newUser('alice'), api.newUser('bob'), api.newUser('carol')]);
  const [bobOnB, carolOnC] = await Promise.all([connect(b.realtimeUrl, bob.token), connect(c.realtimeUrl, carol.token)]);
  t.teardown(() => [bobOnB, carolOnC].forEach((socket) => socket.close()));
  await settle(200); // the sharded adapter subscribes a new room's channel without waiting for Redis

  const before = await Promise.all(processes.map(packetsReceived));
  const sent = Array.from({ length: MESSAGES }, (_, i) => `hello ${i}`);
  for (const content of sent) {
    const { body } = await api.post('/douyin/message/action/', { token: alice.token, to_user_id: bob.id, action_type: 1, content });
    t.is(body.status_code, 0);
  }
  t.deepEqual((await bobOnB.waitFor('message:new', MESSAGES)).map((message) => message.content), sent, 'bob, on B, gets every message in order');
  await settle(300);
  const after = await Promise.all(processes.map(packetsReceived));
  t.deepEqual(carolOnC.received('message:new'), []);
  const [onA, onB, onC] = after.map((count, i) => count - before[i]!);
  return { processes, bob, packets: { A: onA, B: onB, C: onC } };
}

async function pubsub(url: string, ...args: string[]): Promise<unknown> {
  const redis = new Redis(url);
  try {
    return await redis.call('PUBSUB', ...args);
  } finally {
    redis.disconnect();
  }
}

const roomChannel = (userId: number) => `socket.io#/#user:${userId}#`;

test('sharded by default: a message posted on A reaches bob on B, and only B receives it from Redis', async (t) => {
  const { processes, bob, packets } = await messageAcrossProcesses(t, 'sharded', {});
  for (const server of processes) t.true(server.output.some((line) => line.includes('sharded Redis adapter')), 'the start line names the adapter');
  const { url } = t.context.redis;
  t.deepEqual(await pubsub(url, 'SHARDNUMSUB', roomChannel(bob.id)), [roomChannel(bob.id), 1], "one process, B, subscribes bob's room's channel");
  t.is(await pubsub(url, 'NUMPAT'), 0, "no pattern subscription: the classic adapter's is absent");
  t.deepEqual(packets, { A: 0, B: MESSAGES, C: 0 }, 'a message costs the processes without its recipient nothing');
});

test('REDIS_ADAPTER=classic: the message reaches bob too, and every process receives every packet', async (t) => {
  const { bob, packets } = await messageAcrossProcesses(t, 'classic', { REDIS_ADAPTER: 'classic' });
  const { url } = t.context.redis;
  t.deepEqual(await pubsub(url, 'SHARDNUMSUB', roomChannel(bob.id)), [roomChannel(bob.id), 0], 'no sharded channel');
  t.is(await pubsub(url, 'NUMPAT'), 1, "the classic adapter's pattern subscription, shared by the processes");
  t.deepEqual(packets, { A: MESSAGES, B: MESSAGES, C: MESSAGES }, 'A and C receive and decode what only B needed');
});

test('a Redis Cluster node as REDIS_URL without REDIS_CLUSTER=on: an error says to set it', async (t) => {
  const dir = temporaryDir('douyin-redis-');
  const node = await startTestRedis(['--dir', dir, '--cluster-enabled', 'yes']);
  t.teardown(async () => {
    await node.stop();
    await removeDataDir(dir);
  });
  const server = await startServer({ MONGO_URL: `${t.context.store.url}cluster`, REDIS_URL: node.url });
  t.teardown(() => server.stop());
  t.regex(await lineMatching(server, /node of a Redis Cluster/, 5_000), /"level":50.*set REDIS_CLUSTER=on/);
});
