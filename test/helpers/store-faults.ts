import type { ExecutionContext } from 'ava';
import { client } from './api.js';
import { ack, countByKind, DEFAULT_BUDGET, descendants, descriptorsOf, eventually, everyMessage, gone, metric, rest, sleep, Traffic, watchReadiness, type Outcome } from './faults.js';
import { startServer, type ServerProcess } from './server.js';
import { connect, type Recorder } from './sockets.js';
import { startRestartableStore } from './store.js';

/**
 * Issue 27 against the embedded store: a server under a little traffic (REST reads and writes, socket
 * acks) while one part of its store is frozen (SIGSTOP) or killed, then comes back; `underFault`
 * checks what the issue asks (test/deadlines-store.test.ts, test/deadlines-postgres.test.ts).
 */

/** The default budget, plus what the issue allows for the answer to travel. */
export const ANSWERED_WITHIN_MS = 5_500;
/** /readyz must fail within this long of a dependency freezing or dying. */
const READY_FAILS_WITHIN_MS = 5_000;
/** Longer than the budget: some requests wait for the store the whole time. */
const FAULT_MS = 7_000;
/** Descriptors the server may hold beyond its count before the fault, apart from its connections to the store. */
const FD_SLACK = 4;
/** The driver's connection pool (maxPoolSize, the default), its monitor and its round-trip pinger. */
const STORE_CONNECTIONS_MAX = 100 + 2;

export type Store = Awaited<ReturnType<typeof startRestartableStore>>;

export interface Fault {
  begin(store: Store): Promise<void> | void;
  end(store: Store): Promise<void> | void;
}

/** FerretDB (the process speaking the MongoDB protocol) stopped: it accepts connections and never answers. */
export function ferretdbFrozen(): Fault {
  let pid = 0;
  return {
    begin: (store) => void process.kill((pid = store.pid), 'SIGSTOP'),
    end: () => void process.kill(pid, 'SIGCONT'),
  };
}

/** FerretDB killed (its PostgreSQL follows it down), then the store started again on its port and data. */
export function ferretdbKilled(): Fault {
  let pids: number[] = [];
  return {
    begin(store) {
      pids = [store.pid, ...descendants(store.pid)];
      process.kill(store.pid, 'SIGKILL');
    },
    async end(store) {
      await gone(pids);
      await store.start();
    },
  };
}

/** Every PostgreSQL process behind a live FerretDB stopped: FerretDB answers handshakes, no query. */
export function postgresFrozen(): Fault {
  let pids: number[] = [];
  return {
    begin(store) {
      pids = descendants(store.pid);
      if (pids.length === 0) throw new Error('no PostgreSQL under the store (is it FerretDB on PostgreSQL?)');
      pids.forEach((pid) => process.kill(pid, 'SIGSTOP'));
    },
    end: () => pids.forEach((pid) => process.kill(pid, 'SIGCONT')),
  };
}

/** PostgreSQL's postmaster killed: FerretDB stops too (server/store/ferretdb), then the store is started again. */
export function postgresKilled(): Fault {
  let pids: number[] = [];
  return {
    begin(store) {
      const postmaster = descendants(store.pid, 1)[0];
      if (postmaster === undefined) throw new Error('no PostgreSQL under the store (is it FerretDB on PostgreSQL?)');
      pids = [store.pid, ...descendants(store.pid)];
      process.kill(postmaster, 'SIGKILL');
    },
    async end(store) {
      await gone(pids);
      await store.start();
    },
  };
}

export interface Scene {
  store: Store;
  server: ServerProcess;
  alice: { id: number; token: string };
  bob: { id: number; token: string };
  followees: Array<{ id: number }>;
  /** A user who connects a socket only during the fault. */
  latecomer: { id: number; token: string };
  socket: Recorder;
}

export async function scene(t: ExecutionContext, db: string, env: Record<string, string> = {}, followed = 40): Promise<Scene> {
  const store = await startRestartableStore();
  t.teardown(async () => {
    await store.stop().catch(() => undefined);
    await store.remove();
  });
  const server = await startServer({ MONGO_URL: `${store.url}${db}`, ...DEFAULT_BUDGET, ...env });
  t.teardown(() => server.stop('SIGKILL'));
  const api = client(server.baseUrl);
  const [alice, bob, latecomer, ...followees] = await Promise.all(Array.from({ length: 3 + followed }, (_, i) => api.newUser(['alice', 'bob', 'late'][i] ?? 'idol')));
  const socket = await connect(server.realtimeUrl, alice!.token);
  t.teardown(() => socket.close());
  return { store, server, alice: alice!, bob: bob!, latecomer: latecomer!, followees, socket };
}

/** Reads, keyed writes (messages with client_msg_id over REST and sockets) and idempotent ones (follows), every 400 ms. */
function traffic({ server, alice, bob, followees, socket }: Scene): Traffic {
  const base = server.baseUrl;
  const { token } = alice;
  return new Traffic([
    () => ({ what: 'GET feed', answer: rest(base, 'GET', '/douyin/feed/', { token }) }),
    () => ({ what: 'GET user', answer: rest(base, 'GET', '/douyin/user/', { token, user_id: bob.id }) }),
    () => ({ what: 'GET chat', answer: rest(base, 'GET', '/douyin/message/chat/', { token, to_user_id: bob.id }) }),
    (n) => ({ what: 'POST message', key: `rest-${n}`, answer: rest(base, 'POST', '/douyin/message/action/', { token, to_user_id: bob.id, action_type: 1, content: `rest-${n}`, client_msg_id: `rest-${n}` }) }),
    (n) => ({ what: 'message:send', key: `socket-${n}`, answer: ack(socket, 'message:send', { to_user_id: bob.id, content: `socket-${n}`, client_msg_id: `socket-${n}` }) }),
    (n) => (n < followees.length
      ? { what: 'POST follow', key: String(followees[n]!.id), answer: rest(base, 'POST', '/douyin/relation/action/', { token, to_user_id: followees[n]!.id, action_type: 1 }) }
      : undefined),
  ], 400);
}

/** Every REST answer and ack of the run: in time, and either a success or 50001 (HTTP 503 with Retry-After). */
function checkAnswers(t: ExecutionContext, outcomes: Outcome[]): void {
  const hung = outcomes.filter((outcome) => outcome.ms === undefined);
  t.deepEqual(hung.map((outcome) => outcome.what), [], 'no request left without an answer');
  const late = outcomes.filter((outcome) => outcome.ms !== undefined && outcome.ms > ANSWERED_WITHIN_MS);
  t.deepEqual(late.map((outcome) => `${outcome.what} after ${outcome.ms} ms`), [], `every answer within ${ANSWERED_WITHIN_MS} ms`);
  const wrong = outcomes.filter((outcome) => outcome.ms !== undefined && !(
    outcome.code === 0 && (outcome.httpStatus ?? 200) === 200
    || outcome.code === 50001 && (outcome.httpStatus === undefined || (outcome.httpStatus === 503 && outcome.retryAfter === '2'))
  ));
  t.deepEqual(wrong.map((outcome) => `${outcome.what}: ${outcome.httpStatus ?? 'ack'} ${JSON.stringify(outcome.body)} Retry-After ${outcome.retryAfter}`), [], 'success, or 50001 with HTTP 503 and Retry-After');
}

/** Runs traffic, breaks the store with `fault` for FAULT_MS, brings it back, and checks everything the issue asks. */
export async function underFault(t: ExecutionContext, db: string, fault: Fault): Promise<void> {
  const world = await scene(t, db);
  const { server, store, alice, bob, socket } = world;
  const base = server.baseUrl;
  const pid = server.child.pid!;
  const held = heldBy(pid, Number(new URL(store.url).port), [server.baseUrl, server.realtimeUrl].map((url) => Number(new URL(url).port)));
  const before = held();

  const load = traffic(world);
  load.start();
  await sleep(1_200);
  const faultAt = Date.now();
  await fault.begin(store);
  const readiness = watchReadiness(base);
  await sleep(FAULT_MS);
  const endedAt = Date.now(); // the dependency may answer before end() returns (a restart waits until it does)
  await fault.end(store);
  let last: unknown;
  const served = await eventually(async () => {
    last = await rest(base, 'GET', '/douyin/user/', { token: alice.token }).catch((error: Error) => error.message);
    return (last as { body?: { status_code?: number } }).body?.status_code === 0;
  }, 30_000);
  // Logged before asserting: a failed assertion ends the test.
  if (!served) server.output.filter((line) => /"level":(40|50)/.test(line)).slice(-3).forEach((line) => t.log(line.slice(0, 500)));
  t.true(served, `served again once the store is back (last answer: ${JSON.stringify(last)}; pending ${await metric(base, 'requests_pending').catch(() => '?')})`);
  await sleep(1_000);
  const outcomes = await load.stop();
  const samples = await readiness.stop();

  // What went wrong, when something did: the server's errors name it.
  if (outcomes.some((outcome) => outcome.code === 50000)) server.output.filter((line) => /"level":50/.test(line)).slice(0, 3).forEach((line) => t.log(line.slice(0, 1500)));
  checkAnswers(t, outcomes);
  const during = outcomes.filter((outcome) => outcome.at >= faultAt && outcome.at < endedAt);
  t.true(during.some((outcome) => outcome.code === 50001), 'the fault was felt: some requests were refused with 50001');

  const failing = samples.find((sample) => sample.status === 503 && sample.checks.store === 'down');
  t.truthy(failing, '/readyz fails while the store does not answer');
  t.true(failing !== undefined && failing.answeredAt - faultAt <= READY_FAILS_WITHIN_MS, `/readyz failed ${failing && failing.answeredAt - faultAt} ms after the fault`);
  const lying = samples.filter((sample) => sample.at >= failing!.answeredAt && sample.answeredAt < endedAt && sample.status !== 503);
  t.deepEqual(lying, [], '/readyz keeps failing while the fault lasts');
  t.true(await eventually(async () => (await fetch(`${base}/readyz`)).status === 200, 15_000), '/readyz recovers');

  // Nothing acknowledged is lost, and a retry with the same key is recognised: messages.
  for (const outcome of outcomes.filter((o) => o.key?.startsWith('rest-') && o.code !== 0)) {
    const retry = await rest(base, 'POST', '/douyin/message/action/', { token: alice.token, to_user_id: bob.id, action_type: 1, content: outcome.key!, client_msg_id: outcome.key! });
    t.is(retry.body.status_code, 0, `retrying ${outcome.key}`);
  }
  for (const outcome of outcomes.filter((o) => o.key?.startsWith('socket-') && o.code !== 0)) {
    t.is((await ack(socket, 'message:send', { to_user_id: bob.id, content: outcome.key!, client_msg_id: outcome.key! })).status_code, 0, `retrying ${outcome.key}`);
  }
  const contents = (await everyMessage(socket, bob.id)).map((message) => message.content);
  const sent = outcomes.filter((o) => o.key?.startsWith('rest-') || o.key?.startsWith('socket-')).map((o) => o.key!);
  t.deepEqual(contents.filter((content, i) => contents.indexOf(content) !== i), [], 'no message stored twice');
  t.deepEqual(sent.filter((key) => !contents.includes(key)), [], 'every message acknowledged or retried is stored');

  // Follows: idempotent; retried, each is there once, and the counters agree with the edges.
  const follows = outcomes.filter((o) => o.what === 'POST follow');
  for (const outcome of follows.filter((o) => o.code !== 0)) {
    t.is((await rest(base, 'POST', '/douyin/relation/action/', { token: alice.token, to_user_id: outcome.key!, action_type: 1 })).body.status_code, 0);
  }
  const list = (await rest(base, 'GET', '/douyin/relation/follow/list/', { token: alice.token, user_id: alice.id, limit: 100 })).body.user_list as Array<{ id: number }>;
  t.deepEqual(list.map((user) => String(user.id)).sort(), follows.map((o) => o.key!).sort(), 'every follow acknowledged or retried is stored, once');
  await sleep(1_100); // user records are cached for a second
  const me = (await rest(base, 'GET', '/douyin/user/', { token: alice.token, user_id: alice.id })).body.user;
  t.is(me.follow_count, list.length, 'the follow count agrees with the follows: no follow was left half-done');

  const drained = await eventually(async () => (await metric(base, 'requests_pending')) === 0, 40_000);
  if (!drained) server.output.filter((line) => /still running/.test(line)).slice(-5).forEach((line) => t.log(line.slice(0, 500)));
  t.true(drained, 'no request left running in the server');
  // Connections the store's pool opened while requests waited stay in it (bounded by its size); nothing else stays.
  const settled = await eventually(() => held().other.length <= before.other.length + FD_SLACK, 10_000);
  const after = held();
  t.true(settled, `descriptors back to their count before the fault: ${after.other.length} now (${JSON.stringify(countByKind(after.other))}), ${before.other.length} before (${JSON.stringify(countByKind(before.other))})`);
  t.true(after.store <= STORE_CONNECTIONS_MAX, `connections to the store bounded by the pool: ${after.store}`);
}

/**
 * What the server holds open: connections to the store, and the rest, leaving out the clients'
 * connections to the server's own ports (the test's HTTP keep-alive connections come and go).
 */
function heldBy(pid: number, storePort: number, ownPorts: number[]) {
  return () => {
    const descriptors = descriptorsOf(pid).filter((held) => !('tcp' in held && ownPorts.includes(held.tcp.local) && held.tcp.remote !== 0));
    const store = descriptors.filter((held) => 'tcp' in held && held.tcp.remote === storePort).length;
    return { store, other: descriptors.filter((held) => !('tcp' in held && held.tcp.remote === storePort)) };
  };
}
