import { once } from 'node:events';
import { request } from 'node:http';
import { createServer, connect as tcpConnect, type AddressInfo, type Server } from 'node:net';
import anyTest, { type TestFn } from 'ava';
import { client } from './helpers/api.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { startServer, type ServerProcess } from './helpers/server.js';
import { connect, settle } from './helpers/sockets.js';
import { startTestStore } from './helpers/store.js';
import type { RunningStore } from '../server/store/embedded.js';

/**
 * The README's scale-out setup on one machine: two server processes sharing one store and one Redis,
 * behind a balancer that is not sticky (each new TCP connection goes to the next process in turn).
 */
interface Context {
  store: RunningStore;
  redis: TestRedis;
  a: ServerProcess;
  b: ServerProcess;
  rest: Server;
  realtime: Server;
}
const test = anyTest.serial as TestFn<Context>;

/** A round-robin TCP balancer: the kind that needs no stickiness from websocket-only clients. */
async function roundRobin(ports: number[]): Promise<Server> {
  let next = 0;
  const balancer = createServer((downstream) => {
    const upstream = tcpConnect(ports[next++ % ports.length]!, '127.0.0.1');
    downstream.pipe(upstream).pipe(downstream);
    upstream.on('error', () => downstream.destroy());
    downstream.on('error', () => upstream.destroy());
  });
  balancer.listen(0, '127.0.0.1');
  await once(balancer, 'listening');
  return balancer;
}

const portOf = (url: string) => Number(new URL(url).port);

/** A form POST on a connection of its own (no keep-alive), as many clients behind a balancer make them. */
async function postOnce(url: string, form: Record<string, string | number>): Promise<Record<string, unknown>> {
  const body = new URLSearchParams(Object.entries(form).map(([name, value]): [string, string] => [name, String(value)])).toString();
  const outgoing = request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  outgoing.end(body);
  const [response] = (await once(outgoing, 'response')) as [import('node:http').IncomingMessage];
  let text = '';
  for await (const chunk of response) text += chunk;
  return JSON.parse(text) as Record<string, unknown>;
}
const urlOf = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

test.before(async (t) => {
  const [store, redis] = await Promise.all([startTestStore(), startTestRedis()]);
  const env = { MONGO_URL: `${store.url}scale`, REDIS_URL: redis.url };
  const [a, b] = await Promise.all([startServer(env), startServer(env)]);
  const rest = await roundRobin([portOf(a.baseUrl), portOf(b.baseUrl)]);
  const realtime = await roundRobin([portOf(a.realtimeUrl), portOf(b.realtimeUrl)]);
  t.context = { store, redis, a, b, rest, realtime };
});

test.after.always(async (t) => {
  t.context.rest?.close();
  t.context.realtime?.close();
  await Promise.all([t.context.a?.stop(), t.context.b?.stop()]);
  await Promise.all([t.context.redis?.stop(), t.context.store?.stop()]);
});

test('behind a balancer without sticky sessions, REST lands on both processes and websocket clients get every message', async (t) => {
  const { a, b, rest, realtime } = t.context;
  const api = client(a.baseUrl);
  const [alice, bob] = await Promise.all([api.newUser('alice'), api.newUser('bob')]);
  const devices = await Promise.all(Array.from({ length: 4 }, () => connect(urlOf(realtime), bob.token)));
  t.teardown(() => devices.forEach((device) => device.close()));

  const socketsOn = async (server: ServerProcess) => Number(/^realtime_connected_sockets (\d+)$/m.exec(await (await fetch(`${server.baseUrl}/metrics`)).text())![1]);
  t.deepEqual([await socketsOn(a), await socketsOn(b)], [2, 2], "bob's devices are spread over both processes");

  const sent: string[] = [];
  for (let i = 0; i < 6; i += 1) {
    sent.push(`hello ${i}`);
    const answer = await postOnce(`${urlOf(rest)}/douyin/message/action/`, { token: alice.token, to_user_id: bob.id, action_type: 1, content: sent.at(-1)! });
    t.is(answer.status_code, 0);
  }
  for (const device of devices) {
    await device.waitFor('message:new', 6);
    t.deepEqual(device.received('message:new').map((message) => message.content), sent, 'every device, on either process, gets every message in order');
  }
  const answered = (server: ServerProcess) => server.output.filter((line) => line.includes('"path":"/douyin/message/action/"')).length;
  // A process's request log line reaches this test through a pipe, possibly after the answer did.
  for (const deadline = Date.now() + 2_000; answered(a) + answered(b) < 6 && Date.now() < deadline;) await settle(50);
  t.deepEqual([answered(a), answered(b)], [3, 3], 'the messages were posted through the balancer to both processes');
});
