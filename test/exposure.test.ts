import { readFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { networkInterfaces } from 'node:os';
import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import { PROJECT_ROOT } from '../server/paths.js';
import type { RunningStore } from '../server/store/embedded.js';
import { startServer, type ServerProcess } from './helpers/server.js';
import { startTestStore } from './helpers/store.js';

/**
 * Issue 21, item 10: what a default start exposes. Another computer is played by this machine's own
 * network address: a request to it leaves from it, so the server sees a non-loopback client.
 */
const test = anyTest.serial as TestFn<{ store: RunningStore }>;

const address = Object.values(networkInterfaces()).flat().find((entry) => entry?.family === 'IPv4' && !entry.internal)?.address;
const METRICS_TOKEN = 'a-metrics-token-for-the-test';

test.before(async (t) => {
  t.context = { store: await startTestStore() };
});
test.after.always(async (t) => {
  await t.context.store?.stop();
});

async function serve(t: ExecutionContext<{ store: RunningStore }>, db: string, env: Record<string, string>): Promise<ServerProcess> {
  const server = await startServer({ MONGO_URL: `${t.context.store.url}${db}`, ...env });
  t.teardown(() => server.stop());
  return server;
}

const portOf = (url: string) => Number(new URL(url).port);

/** Whether a TCP connection to host:port is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host, port, timeout: 3_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

function metrics(host: string, server: ServerProcess, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`http://${host}:${portOf(server.baseUrl)}/metrics`, { headers });
}

test('development without HOST: both ports listen on loopback only, and the log says how to open them', async (t) => {
  if (!address) return t.pass('no network address on this machine');
  const server = await serve(t, 'loopback', { HOST: '' }); // an empty variable counts as unset
  const ports = [portOf(server.baseUrl), portOf(server.realtimeUrl)];
  for (const port of ports) {
    t.true(await accepts('127.0.0.1', port), `loopback reaches port ${port}`);
    t.false(await accepts(address, port), `${address} is refused on port ${port}`);
  }
  t.true(server.output.some((line) => line.includes('set HOST=0.0.0.0 to serve other machines')));
});

test('production without HOST, and the container image (HOST=0.0.0.0), serve every address', async (t) => {
  if (!address) return t.pass('no network address on this machine');
  const server = await serve(t, 'everywhere', { HOST: '', NODE_ENV: 'production' });
  for (const port of [portOf(server.baseUrl), portOf(server.realtimeUrl)]) t.true(await accepts(address, port), `${address} reaches port ${port}`);
  t.regex(readFileSync(`${PROJECT_ROOT}server/deploy/Dockerfile`, 'utf8'), /^ENV .*\bHOST=0\.0\.0\.0\b/m, 'the image sets HOST');
});

test('/metrics: served to loopback clients; others, and proxied requests, get 403 saying how to get in', async (t) => {
  if (!address) return t.pass('no network address on this machine');
  const server = await serve(t, 'metrics-open', { HOST: '0.0.0.0', TRUST_PROXY: '1' });
  const local = await metrics('127.0.0.1', server);
  t.is(local.status, 200);
  t.regex(await local.text(), /^process_cpu_user_seconds_total/m);

  const remote = await metrics(address, server);
  t.is(remote.status, 403);
  t.regex(await remote.text(), /clients on this host only; set METRICS_TOKEN/);
  t.notRegex(await (await metrics(address, server, { 'X-Forwarded-For': '127.0.0.1' })).text(), /process_cpu/, 'a forged forwarded address is no way in');
  t.is((await metrics(address, server, { 'X-Forwarded-For': '127.0.0.1' })).status, 403);
  for (const headers of [{ 'X-Forwarded-For': '203.0.113.9' }, { Forwarded: 'for=203.0.113.9' }, { 'X-Real-IP': '203.0.113.9' }] as Array<Record<string, string>>) {
    t.is((await metrics('127.0.0.1', server, headers)).status, 403, `a proxy on this host (${Object.keys(headers)[0]}) does not make its clients local`);
  }
  t.is((await metrics(address, server, { Authorization: 'Bearer anything-at-all-here' })).status, 403, 'no token configured: no token opens it');
  t.is((await fetch(`http://${address}:${portOf(server.baseUrl)}/healthz`)).status, 200, 'the rest of the API is served');
});

test('/metrics with METRICS_TOKEN: the bearer token opens it from elsewhere; a wrong or missing one gets 401', async (t) => {
  if (!address) return t.pass('no network address on this machine');
  const server = await serve(t, 'metrics-token', { HOST: '0.0.0.0', TRUST_PROXY: '1', METRICS_TOKEN });
  const withToken = await metrics(address, server, { Authorization: `Bearer ${METRICS_TOKEN}` });
  t.is(withToken.status, 200);
  t.regex(await withToken.text(), /^process_cpu_user_seconds_total/m);

  const missing = await metrics(address, server);
  t.is(missing.status, 401);
  t.is(missing.headers.get('www-authenticate'), 'Bearer realm="metrics"');
  t.regex(await missing.text(), /Authorization: Bearer <METRICS_TOKEN>/);
  for (const wrong of [`Bearer ${METRICS_TOKEN}x`, `Bearer ${METRICS_TOKEN.slice(0, -1)}`, `Basic ${METRICS_TOKEN}`, METRICS_TOKEN]) {
    const answer = await metrics(address, server, { Authorization: wrong });
    t.is(answer.status, 401, wrong);
    t.notRegex(await answer.text(), /process_cpu/);
  }
  t.is((await metrics('127.0.0.1', server)).status, 200, 'loopback needs no token');
});
