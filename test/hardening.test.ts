import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import { STORE_REPLY_TIMEOUT_MS } from '../models/db.js';
import { client } from './helpers/api.js';
import { startServer } from './helpers/server.js';
import { connect } from './helpers/sockets.js';
import { useBackends, type Backends } from './helpers/stack.js';
import { startRestartableStore } from './helpers/store.js';
import type { RunningStore } from '../server/store/embedded.js';

/** Rate limits, HTTP hardening and store outages, against real server processes. */
const test = anyTest.serial as TestFn<Backends>;

useBackends(test);

async function limitedServer(t: { context: { store: RunningStore }; teardown: (fn: () => unknown) => void }, db: string, env: Record<string, string> = {}) {
  const server = await startServer({ MONGO_URL: `${t.context.store.url}${db}`, RATE_LIMITS: 'on', ...env });
  t.teardown(() => server.stop());
  return server;
}

/** A POST as it arrives through one reverse proxy (TRUST_PROXY=1): the proxy appended `address` to what the client wrote. */
async function postVia(baseUrl: string, path: string, address: string, params: Record<string, string>, forged = '6.6.6.6') {
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'x-forwarded-for': `${forged}, ${address}` },
    body: new URLSearchParams(params),
  });
  return (await response.json()) as Record<string, any>;
}

test('logins: ten failures from one address lock the username there only; a hundred from anywhere lock it everywhere (two processes, Redis)', async (t) => {
  const env = { REDIS_URL: t.context.redis.url, TRUST_PROXY: '1' };
  const [a, b] = [await limitedServer(t, 'limits-login', env), await limitedServer(t, 'limits-login', env)];
  const victim = await client(a.baseUrl).newUser('victim');
  const bystander = await client(a.baseUrl).newUser('bystander');
  const login = (server: typeof a, address: string, password: string) =>
    postVia(server.baseUrl, '/douyin/user/login/', address, { username: victim.username, password }, `10.9.8.${Math.floor(Math.random() * 250)}`);

  for (let i = 0; i < 10; i += 1) t.is((await login(i % 2 ? a : b, '203.0.113.1', 'wrong-password')).status_code, 20003);
  const locked = await login(b, '203.0.113.1', 'correct-horse');
  t.like(locked, { status_code: 20005, user_id: 0, token: '' });
  t.regex(locked.status_msg, /^too many failed logins for this username from this address: try again in \d+ s$/);
  t.is((await login(a, '203.0.113.2', 'correct-horse')).status_code, 0, 'the owner elsewhere is not locked out');

  for (let i = 0; i < 100; i += 1) t.is((await login(i % 2 ? a : b, `198.51.100.${i % 20}`, 'wrong-password')).status_code, 20003);
  const everywhere = await login(a, '203.0.113.3', 'correct-horse');
  t.like(everywhere, { status_code: 20005 });
  t.regex(everywhere.status_msg, /^too many failed logins for this username: try again in \d+ s$/);
  t.is((await postVia(b.baseUrl, '/douyin/user/login/', '203.0.113.3', { username: bystander.username, password: 'correct-horse' })).status_code, 0);
});

test('a successful login clears the failures of its username', async (t) => {
  const api = client((await limitedServer(t, 'limits-reset')).baseUrl);
  const user = await api.newUser('forgetful');
  for (let round = 0; round < 3; round += 1) {
    for (let i = 0; i < 9; i += 1) await api.post('/douyin/user/login/', { username: user.username, password: 'wrong-password' });
    t.is((await api.post('/douyin/user/login/', { username: user.username, password: 'correct-horse' })).body.status_code, 0);
  }
});

test('registrations: twenty-five per address per five minutes, the address being the hop the proxy added, not one the client wrote', async (t) => {
  const server = await limitedServer(t, 'limits-register', { TRUST_PROXY: 'true' });
  const register = (address: string, i: number) =>
    postVia(server.baseUrl, '/douyin/user/register/', address, { username: `bulk_${address.replace(/\./g, '_')}_${i}`, password: 'secret-1' }, `10.0.${i}.1`);
  for (let i = 0; i < 25; i += 1) t.is((await register('192.0.2.7', i)).status_code, 0);
  const refused = await register('192.0.2.7', 25);
  t.like(refused, { status_code: 20005, user_id: 0, token: '' });
  t.regex(refused.status_msg, /^too many registrations from this address/);
  t.is((await register('192.0.2.8', 0)).status_code, 0, 'another address is another count');
});

test('messages: sixty a minute per user, counted over REST and sockets together; comments: thirty', async (t) => {
  const server = await limitedServer(t, 'limits-chat');
  const api = client(server.baseUrl);
  const [alice, bob] = [await api.newUser('chatty'), await api.newUser('inbox')];
  const socket = await connect(server.realtimeUrl, alice.token);
  t.teardown(() => socket.close());
  for (let i = 0; i < 30; i += 1) t.is((await api.post('/douyin/message/action/', { token: alice.token, to_user_id: bob.id, action_type: 1, content: `rest ${i}` })).body.status_code, 0);
  for (let i = 0; i < 30; i += 1) {
    if (i % 15 === 14) await new Promise((resolve) => setTimeout(resolve, 1_000)); // stay under the per-socket event rate
    t.is((await socket.send({ to_user_id: bob.id, content: `socket ${i}` })).status_code, 0);
  }
  t.like((await socket.send({ to_user_id: bob.id, content: 'one too many' })), { status_code: 20005 });
  t.like((await api.post('/douyin/message/action/', { token: alice.token, to_user_id: bob.id, action_type: 1, content: 'one too many' })).body, { status_code: 20005 });
  t.is((await api.post('/douyin/message/action/', { token: bob.token, to_user_id: alice.id, action_type: 1, content: 'bob is fine' })).body.status_code, 0);
  t.is((await api.get('/douyin/message/chat/', { token: bob.token, to_user_id: alice.id })).body.message_list.length, 61);
});

test('every answer carries a request id (a client\'s own is echoed), security headers, and CORS as configured', async (t) => {
  const server = await limitedServer(t, 'headers', { CORS_ORIGINS: 'https://app.example.com' });
  const plain = await fetch(`${server.baseUrl}/douyin/feed/`);
  t.regex(plain.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  t.is(plain.headers.get('x-content-type-options'), 'nosniff');
  t.truthy(plain.headers.get('strict-transport-security'));
  t.is(plain.headers.get('x-powered-by'), null);
  const mine = await fetch(`${server.baseUrl}/douyin/feed/`, { headers: { 'x-request-id': 'trace-42' } });
  t.is(mine.headers.get('x-request-id'), 'trace-42');
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.true(server.output.some((line) => line.includes('"reqId":"trace-42"') && line.includes('"path":"/douyin/feed/"')), 'the log line names it');

  const allowed = await fetch(`${server.baseUrl}/douyin/feed/`, { headers: { origin: 'https://app.example.com' } });
  t.is(allowed.headers.get('access-control-allow-origin'), 'https://app.example.com');
  const other = await fetch(`${server.baseUrl}/douyin/feed/`, { headers: { origin: 'https://evil.example.net' } });
  t.is(other.headers.get('access-control-allow-origin'), null);
});

/** A server on a store of its own, which the test may stop, freeze or restart, and a user of it. */
async function serverOnOwnStore(t: ExecutionContext<Backends>, db: string, who: string) {
  const store = await startRestartableStore();
  t.teardown(async () => {
    await store.stop();
    await store.remove();
  });
  const server = await startServer({ MONGO_URL: `${store.url}${db}` });
  t.teardown(() => server.stop());
  const api = client(server.baseUrl);
  return { store, server, api, user: await api.newUser(who) };
}

/** Tries `served` every half second, at most `attempts` times, until it holds. */
async function servedAgain(served: () => Promise<boolean>, attempts: number): Promise<boolean> {
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    if (await served()) return true;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return false;
}

test('with the store frozen (SIGSTOP) every request is refused within its reply timeout, none hangs, and service resumes when it thaws', async (t) => {
  const { store, api, user } = await serverOnOwnStore(t, 'frozen', 'frozen');
  const frozenPid = store.pid;
  process.kill(frozenPid, 'SIGSTOP');
  t.teardown(() => process.kill(frozenPid, 'SIGCONT'));

  const started = Date.now();
  const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => {
    const request = i % 2
      ? api.post('/douyin/user/login/', { username: user.username, password: 'correct-horse' })
      : api.get('/douyin/favorite/list/', { token: user.token, user_id: user.id });
    return request.then((answer) => ({ ...answer, ms: Date.now() - started }));
  }));
  for (const { httpStatus, body, ms } of answers) {
    // The reply timeout, then at most the driver's five seconds to find the store again.
    t.true(ms < STORE_REPLY_TIMEOUT_MS + 7_000, `answered in ${ms} ms`);
    t.is(httpStatus, 503);
    t.like(body, { status_code: 50001, status_msg: 'service temporarily unavailable: try again shortly' });
  }

  process.kill(frozenPid, 'SIGCONT');
  const login = async () => (await api.post('/douyin/user/login/', { username: user.username, password: 'correct-horse' })).body.status_code === 0;
  t.true(await servedAgain(login, 60));
});

test('with the store unreachable every request is refused clearly within seconds, and service comes back by itself', async (t) => {
  const { store, server, api, user } = await serverOnOwnStore(t, 'outage', 'patient');
  const probe = async (path: string) => {
    const response = await fetch(server.baseUrl + path);
    return { status: response.status, body: await response.json() };
  };
  t.deepEqual(await probe('/healthz'), { status: 200, body: { status: 'ok' } });
  t.deepEqual(await probe('/readyz'), { status: 200, body: { status: 'ready', checks: { store: 'ok' } } });

  await store.stop();
  t.deepEqual(await probe('/readyz'), { status: 503, body: { status: 'unavailable', checks: { store: 'down' } } });
  t.is((await probe('/healthz')).status, 200, 'alive, though not ready');
  for (const request of [
    () => api.get('/douyin/feed/'),
    () => api.get('/douyin/user/', { token: user.token }),
    () => api.post('/douyin/user/login/', { username: user.username, password: 'correct-horse' }),
  ]) {
    const started = Date.now();
    const { httpStatus, body } = await request();
    t.true(Date.now() - started < 8_000, `answered in ${Date.now() - started} ms`);
    t.is(httpStatus, 503);
    t.like(body, { status_code: 50001, status_msg: 'service temporarily unavailable: try again shortly' });
  }
  t.is(server.child.exitCode, null, 'the server is still running');

  await store.start();
  t.true(await servedAgain(async () => (await api.get('/douyin/user/', { token: user.token })).body.status_code === 0, 40));
  t.is((await probe('/readyz')).status, 200);
});
