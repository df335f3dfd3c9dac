import { readdirSync } from 'node:fs';
import anyTest, { type TestFn } from 'ava';
import { Manager } from 'socket.io-client';
import { eventually } from './helpers/faults.js';
import { connect, refusal, type Recorder } from './helpers/sockets.js';
import { startStack, type Stack } from './helpers/stack.js';

/**
 * Issue 21, item 8, replayed against a real server with small caps: Socket.IO connections that never
 * authenticate (the transport opened, no CONNECT sent), from one loopback address and from many, are
 * capped per address and in all, closed after the handshake deadline, and REST answers throughout.
 */
const test = anyTest.serial as TestFn<Stack>;
const MAX_CONNECTIONS = 150;
const PER_ADDRESS = 10;
const HANDSHAKE_MS = 3_000;

test.before(async (t) => {
  t.context = await startStack('gateway_admission', {
    REALTIME_MAX_CONNECTIONS: String(MAX_CONNECTIONS),
    REALTIME_UNAUTHENTICATED_PER_ADDRESS: String(PER_ADDRESS),
    REALTIME_HANDSHAKE_TIMEOUT_MS: String(HANDSHAKE_MS),
    REQUEST_DEADLINE_MS: '2000',
    RATE_LIMITS: 'on',
  });
});
test.after.always(async (t) => {
  await t.context.stop?.();
});

interface Idle {
  /** Whether the transport opened. */
  opened: boolean;
  /** When the server closed it, ms after it opened. */
  closedAfter: Promise<number>;
  close(): void;
}

/** A real Socket.IO client's transport from `localAddress`, opened and left without authenticating (no namespace joined). */
function idle(url: string, localAddress: string): Promise<Idle> {
  const manager = new Manager(url, { transports: ['websocket'], reconnection: false, autoConnect: false, localAddress } as never);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      manager.engine?.close();
      resolve({ opened: false, closedAfter: Promise.resolve(0), close: () => undefined });
    }, 5_000);
    manager.open((error) => {
      clearTimeout(timer);
      const openedAt = Date.now();
      const closedAfter = error ? Promise.resolve(0) : new Promise<number>((done) => manager.engine.once('close', () => done(Date.now() - openedAt)));
      resolve({ opened: !error, closedAfter, close: () => manager.engine?.close() });
    });
  });
}

function descriptors(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

test('one address: at most REALTIME_UNAUTHENTICATED_PER_ADDRESS connections wait unauthenticated; authenticated ones do not count', async (t) => {
  const { api, server } = t.context;
  const attempts = await Promise.all(Array.from({ length: 30 }, () => idle(server.realtimeUrl, '127.0.0.2')));
  t.teardown(() => attempts.forEach((attempt) => attempt.close()));
  t.is(attempts.filter((attempt) => attempt.opened).length, PER_ADDRESS, 'the rest refused in the handshake');

  // Other addresses are not held back, and sockets that authenticate leave the count.
  const user = await api.newUser('admitted');
  const sockets: Recorder[] = [];
  t.teardown(() => sockets.forEach((socket) => socket.close()));
  for (let i = 0; i < PER_ADDRESS * 2; i += 1) sockets.push(await connect(server.realtimeUrl, user.token));
  t.is(sockets.filter((socket) => socket.socket.connected).length, PER_ADDRESS * 2);

  const lifetimes = await Promise.all(attempts.filter((attempt) => attempt.opened).map((attempt) => attempt.closedAfter));
  t.true(lifetimes.every((ms) => ms >= HANDSHAKE_MS - 500 && ms < HANDSHAKE_MS + 2_000), `closed at the handshake deadline: ${lifetimes.join(', ')} ms`);
  const again = await idle(server.realtimeUrl, '127.0.0.2');
  t.teardown(() => again.close());
  t.true(again.opened, 'the address may try again once its connections are gone');
});

test('many addresses: the process holds at most REALTIME_MAX_CONNECTIONS, refuses beyond them, REST answers throughout, and the idle ones are gone after the deadline', async (t) => {
  const { api, server } = t.context;
  const user = await api.newUser('crowded');
  const before = descriptors(server.child.pid!);
  const addresses = Array.from({ length: 40 }, (_, i) => `127.0.1.${i + 1}`);
  const attempts = (await Promise.all(addresses.map((address) => Promise.all(Array.from({ length: PER_ADDRESS }, () => idle(server.realtimeUrl, address)))))).flat();
  t.teardown(() => attempts.forEach((attempt) => attempt.close()));
  const opened = attempts.filter((attempt) => attempt.opened);
  t.true(opened.length <= MAX_CONNECTIONS && opened.length >= MAX_CONNECTIONS - 5, `${opened.length} of ${attempts.length} opened`);
  // Refused connections take a moment to close on a busy machine: bounded once they have.
  const bound = before + MAX_CONNECTIONS + 20;
  await eventually(() => descriptors(server.child.pid!) <= bound, 3_000);
  const held = descriptors(server.child.pid!);
  t.true(held <= bound, `the server's open files are bounded: ${held} > ${bound}`);

  const feed = await api.get('/douyin/feed/');
  t.is(feed.httpStatus, 200);
  t.is(feed.body.status_code, 0, 'REST answers while the gateway is full');
  t.is((await api.get('/douyin/user/', { token: user.token })).body.status_code, 0);
  t.regex(await refusal(server.realtimeUrl, { token: user.token }), /websocket error|xhr poll error|timeout/i, 'a new connection is refused while full');

  await Promise.all(opened.map((attempt) => attempt.closedAfter));
  const socket = await connect(server.realtimeUrl, user.token);
  t.teardown(() => socket.close());
  t.true(socket.socket.connected, 'once the idle connections are closed, users connect again');
});
