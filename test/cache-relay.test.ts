import { once } from 'node:events';
import net from 'node:net';
import anyTest, { type TestFn } from 'ava';
import type { RunningStore } from '../server/store/embedded.js';
import { client } from './helpers/api.js';
import { eventually } from './helpers/faults.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { lineMatching, startServer, type ServerProcess } from './helpers/server.js';
import { startTestStore } from './helpers/store.js';

/**
 * Processes forget what each other's writes made stale through Redis (server/cache-relay.ts). A
 * process that served before it had joined would make writes the others never hear of: their caches
 * (a friend list's conversations, kept 30 s) would stay stale; and one that did not know what they
 * announced before it joined would miss their latest messages until they fold. Real processes, a real
 * store and Redis; the process under test reaches Redis through a proxy that holds every new
 * connection a while, as a busy machine or a distant Redis does.
 */
interface Context {
  store: RunningStore;
  redis: TestRedis;
  env: Record<string, string>;
  servers: ServerProcess[];
}
const test = anyTest.serial as TestFn<Context>;

test.before(async (t) => {
  const [store, redis] = await Promise.all([startTestStore(), startTestRedis()]);
  t.context = { store, redis, env: { MONGO_URL: `${store.url}cache-relay`, REDIS_URL: redis.url }, servers: [] };
});

test.after.always(async (t) => {
  await Promise.all(t.context.servers.map((server) => server.stop()));
  await t.context.redis?.stop();
  await t.context.store?.stop();
});

async function serve(t: { context: Context }, env: Record<string, string>): Promise<ServerProcess> {
  const server = await startServer({ ...t.context.env, ...env });
  t.context.servers.push(server);
  return server;
}

/** A TCP door to `port` that connects each client only `holdMs` after it arrived. */
async function slowDoor(port: number, holdMs: number): Promise<{ port: number; close(): void }> {
  const sockets = new Set<net.Socket>();
  const door = net.createServer((incoming) => {
    incoming.pause();
    sockets.add(incoming);
    setTimeout(() => {
      const outgoing = net.connect(port, '127.0.0.1');
      sockets.add(outgoing);
      incoming.pipe(outgoing).pipe(incoming);
      incoming.resume();
    }, holdMs);
    incoming.on('error', () => undefined);
  });
  door.listen(0, '127.0.0.1');
  await once(door, 'listening');
  return {
    port: (door.address() as net.AddressInfo).port,
    close() {
      door.close();
      sockets.forEach((socket) => socket.destroy());
    },
  };
}

test('a process serves only once it hears the others and knows what they have not folded: a read marked on it right after its start reaches the message and the others\' caches', async (t) => {
  const a = await serve(t, {});
  const api = client(a.baseUrl);
  const [alice, bob] = await Promise.all([api.newUser('alice'), api.newUser('bob')]);
  for (const [from, to] of [[alice, bob], [bob, alice]] as const) await api.post('/douyin/relation/action/', { token: from.token, to_user_id: to.id, action_type: 1 });
  t.is((await api.post('/douyin/message/action/', { token: alice.token, to_user_id: bob.id, action_type: 1, content: 'hi' })).body.status_code, 0);
  const entry = async (server: ServerProcess, viewer: { token: string }, friendId: number) => {
    const { body } = await client(server.baseUrl).get('/douyin/relation/friend/list/', { token: viewer.token });
    return (body.user_list as Array<{ id: number; unread_count: number; peer_read_id: number }>).find((user) => user.id === friendId);
  };
  t.like(await entry(a, bob, alice.id), { unread_count: 1 }, 'A has the conversation cached, unread');
  const [message] = (await api.get('/douyin/message/chat/', { token: bob.token, to_user_id: alice.id })).body.message_list as Array<{ id: number }>;

  // A cannot fold while frozen: the conversation's latest message is only in A's pending record.
  a.child.kill('SIGSTOP');
  t.teardown(() => a.child.kill('SIGCONT'));
  const door = await slowDoor(Number(new URL(t.context.redis.url).port), 1_500);
  t.teardown(() => door.close());
  const b = await serve(t, { REDIS_URL: `redis://127.0.0.1:${door.port}` });
  const read = await client(b.baseUrl).post('/douyin/message/read/', { token: bob.token, to_user_id: alice.id, up_to_id: message!.id });
  t.like(read.body, { status_code: 0, unread_count: 0 });
  t.like(await entry(b, alice, bob.id), { peer_read_id: message!.id }, 'the read reached the message B learned of at its start');

  a.child.kill('SIGCONT');
  t.true(await eventually(async () => (await entry(a, bob, alice.id))?.unread_count === 0, 1_000), 'A forgot the conversation B changed');
});

test('a process whose Redis does not answer at start serves after a bounded wait, and says why', async (t) => {
  const started = Date.now();
  const server = await serve(t, { REDIS_URL: 'redis://127.0.0.1:9' });
  t.log(`serving ${Date.now() - started} ms after the start`);
  t.regex(await lineMatching(server, /Redis not reached within 5 s/), /cache changes/);
  t.is((await client(server.baseUrl).get('/douyin/feed/')).body.status_code, 0);
});
