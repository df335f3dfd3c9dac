import { request } from 'node:http';
import test from 'ava';
import { io } from 'socket.io-client';
import { POLL_BODY_TIMEOUT_MS } from '../realtime/gateway.js';
import { client } from './helpers/api.js';
import { startServer } from './helpers/server.js';
import { startTestStore } from './helpers/store.js';

/** Opens an anonymous Engine.IO long-polling session, as any client on the network can. */
async function pollingSession(realtimeUrl: string): Promise<string> {
  const response = await fetch(`${realtimeUrl}/socket.io/?EIO=4&transport=polling`);
  const text = await response.text();
  return (JSON.parse(text.slice(1)) as { sid: string }).sid;
}

/** POSTs `bytes` to a polling session; `abortAfter` cuts the connection after that many bytes. */
function postBody(realtimeUrl: string, sid: string, bytes: number, abortAfter?: number): Promise<number | 'aborted'> {
  return new Promise((resolve) => {
    const url = new URL(`/socket.io/?EIO=4&transport=polling&sid=${sid}`, realtimeUrl);
    const req = request(url, { method: 'POST', headers: { 'content-type': 'text/plain;charset=UTF-8', 'content-length': bytes } });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', () => resolve('aborted'));
    if (abortAfter === undefined) {
      req.end(Buffer.alloc(bytes, 'a'));
    } else {
      req.write(Buffer.alloc(abortAfter, 'a'), () => setTimeout(() => req.destroy(), 100));
    }
  });
}

test('oversized, aborted and stalled long-polling bodies are refused and the process lives on, polling still working', async (t) => {
  const store = await startTestStore();
  t.teardown(() => store.stop());
  const server = await startServer({ MONGO_URL: `${store.url}polling` });
  t.teardown(() => server.stop('SIGKILL'));

  t.is(await postBody(server.realtimeUrl, await pollingSession(server.realtimeUrl), 1024 * 1024), 413);
  t.is(await postBody(server.realtimeUrl, await pollingSession(server.realtimeUrl), 8 * 1024, 4 * 1024), 'aborted');
  const stalled = postBody(server.realtimeUrl, await pollingSession(server.realtimeUrl), 1024, 10);

  // The crash came from a body timer left armed after the 413: wait past it.
  await new Promise((resolve) => setTimeout(resolve, POLL_BODY_TIMEOUT_MS + 3_000));
  t.not(await stalled, 200);
  t.is(server.child.exitCode, null, `the server died:\n${server.output.slice(-20).join('\n')}`);
  t.false(server.output.some((line) => line.includes('must not be accessed after')));

  const api = client(server.baseUrl);
  const user = await api.newUser('poller');
  const socket = io(server.realtimeUrl, { transports: ['polling'], upgrade: false, reconnection: false, forceNew: true, auth: { token: user.token } });
  t.teardown(() => socket.disconnect());
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  t.is(socket.io.engine.transport.name, 'polling');
});
