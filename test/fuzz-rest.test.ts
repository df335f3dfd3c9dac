import anyTest, { type TestFn } from 'ava';
import fc from 'fast-check';
import mongoose from 'mongoose';
import { tinyVideo } from './helpers/media.js';
import { startStack, type Stack } from './helpers/stack.js';
import { FOLD_MS } from '../models/write-behind.js';

/**
 * Property: whatever malformed request reaches any endpoint, the answer is the JSON envelope with a
 * non-zero status_code and an HTTP status below 500, the server keeps answering, and no stored data
 * changes. Every generated request carries at least one defect that must make it a refusal.
 */
interface Seed {
  token: string;
  userId: number;
  videoId: number;
  commentId: number;
}
const test = anyTest.serial as TestFn<Stack & { seed: Seed; db: mongoose.Connection }>;

test.before(async (t) => {
  const stack = await startStack('fuzz');
  const { api } = stack;
  const [me, other] = [await api.newUser('fuzzer'), await api.newUser('target')];
  const videoId = await api.publish(other.token, 'target video', await tinyVideo());
  const comment = await api.post('/douyin/comment/action/', { token: other.token, video_id: videoId, action_type: 1, comment_text: 'hi' });
  await api.post('/douyin/relation/action/', { token: other.token, to_user_id: me.id, action_type: 1 });
  await api.post('/douyin/message/action/', { token: other.token, to_user_id: me.id, action_type: 1, content: 'hello' });
  const db = await mongoose.createConnection(stack.mongoUrl).asPromise();
  // Its HLS renditions are made in the background: done, and the job gone, before the data is looked at.
  const queued = async () => (await db.collection('transcode_jobs').countDocuments()) + (await db.collection('transcode_leases').countDocuments());
  for (const deadline = Date.now() + 60_000; (await queued()) > 0 && Date.now() < deadline;) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  t.context = { ...stack, db, seed: { token: me.token, userId: other.id, videoId, commentId: comment.body.comment.id } };
});

test.after.always(async (t) => {
  await t.context.db?.close();
  await t.context.stop?.();
});

type Method = 'GET' | 'POST';
interface EndpointShape {
  method: Method;
  path: string;
  /** Valid parameters, given the seed. */
  params: (seed: Seed) => Record<string, string>;
  /** Values that make a parameter invalid, per parameter. */
  breakers: Record<string, string[]>;
}

const badIds = ['abc', '-5', '0', '1.5', '', '1e400', '2.5e0', '1_000', 'NaN', '１２３', '9'.repeat(25), ' 7', '0x1f', 'null'];
const badText = ['', '   ', 'bell\u0007', 'x'.repeat(2_000)];
const badAction = ['0', '3', 'like', '', '1.5', '1e1', '-1'];
const badTime = ['yesterday', '-1', '1.5', '9'.repeat(20)];

const ENDPOINTS: EndpointShape[] = [
  { method: 'POST', path: '/douyin/user/register/', params: () => ({ username: `fz${Date.now()}`, password: 'secret-1' }), breakers: { username: ['', 'a b', 'x'.repeat(40), 'semi;colon', '<script>'], password: ['123', 'x'.repeat(200), 'tab\tin'] } },
  { method: 'POST', path: '/douyin/user/login/', params: () => ({ username: 'fuzzer', password: 'correct-horse' }), breakers: { username: ['', 'a b', '$where'], password: ['', '12'] } },
  { method: 'GET', path: '/douyin/user/', params: (s) => ({ token: s.token, user_id: String(s.userId) }), breakers: { user_id: badIds } },
  { method: 'POST', path: '/douyin/publish/action/', params: (s) => ({ token: s.token, title: 'fuzzed' }), breakers: { title: badText } },
  { method: 'GET', path: '/douyin/feed/', params: () => ({}), breakers: { latest_time: badTime } },
  { method: 'GET', path: '/douyin/publish/list/', params: (s) => ({ token: s.token, user_id: String(s.userId) }), breakers: { user_id: badIds, limit: ['0', '101', 'all'] } },
  { method: 'POST', path: '/douyin/favorite/action/', params: (s) => ({ token: s.token, video_id: String(s.videoId), action_type: '1' }), breakers: { video_id: badIds, action_type: badAction } },
  { method: 'GET', path: '/douyin/favorite/list/', params: (s) => ({ token: s.token, user_id: String(s.userId) }), breakers: { user_id: badIds, cursor: badIds } },
  { method: 'POST', path: '/douyin/comment/action/', params: (s) => ({ token: s.token, video_id: String(s.videoId), action_type: '1', comment_text: 'fuzz' }), breakers: { video_id: badIds, action_type: badAction, comment_text: badText } },
  { method: 'GET', path: '/douyin/comment/list/', params: (s) => ({ token: s.token, video_id: String(s.videoId) }), breakers: { video_id: badIds, limit: ['0', '1000', '-1'] } },
  { method: 'POST', path: '/douyin/relation/action/', params: (s) => ({ token: s.token, to_user_id: String(s.userId), action_type: '1' }), breakers: { to_user_id: badIds, action_type: badAction } },
  { method: 'GET', path: '/douyin/relation/follow/list/', params: (s) => ({ token: s.token, user_id: String(s.userId) }), breakers: { user_id: badIds } },
  { method: 'GET', path: '/douyin/relation/follower/list/', params: (s) => ({ token: s.token, user_id: String(s.userId) }), breakers: { user_id: badIds } },
  { method: 'GET', path: '/douyin/relation/friend/list/', params: (s) => ({ token: s.token }), breakers: { user_id: badIds, cursor: badIds } },
  { method: 'GET', path: '/douyin/message/chat/', params: (s) => ({ token: s.token, to_user_id: String(s.userId) }), breakers: { to_user_id: badIds, pre_msg_time: badTime } },
  { method: 'POST', path: '/douyin/message/action/', params: (s) => ({ token: s.token, to_user_id: String(s.userId), action_type: '1', content: 'fuzz' }), breakers: { to_user_id: badIds, action_type: ['2', '0', 'send'], content: badText, client_msg_id: ['a b', 'x'.repeat(65)] } },
  { method: 'GET', path: '/douyin/notification/list/', params: (s) => ({ token: s.token }), breakers: { cursor: badIds, limit: ['0', '101', '-1', 'all'] } },
  { method: 'POST', path: '/douyin/notification/read/', params: (s) => ({ token: s.token, up_to_id: String(s.userId) }), breakers: { up_to_id: badIds } },
];

type Defect =
  | { kind: 'breaker'; param: string; value: string }
  | { kind: 'method'; method: string }
  | { kind: 'bracket'; name: string; operator: string }
  | { kind: 'conflict'; name: string }
  | { kind: 'json-object'; name: string; value: unknown }
  | { kind: 'oversize' }
  | { kind: 'broken-multipart'; garbage: string };

const endpointArb = fc.constantFrom(...ENDPOINTS);
const noiseArb = fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }).filter((name) => !/[[\]]/.test(name) && name !== 'token'), fc.string({ unit: 'binary', maxLength: 40 }), { maxKeys: 3 });

function defectArb(endpoint: EndpointShape): fc.Arbitrary<Defect> {
  const names = [...Object.keys(endpoint.breakers), 'token', 'user_id'];
  const options: Array<fc.Arbitrary<Defect>> = [
    fc.constantFrom(...Object.entries(endpoint.breakers)).chain(([param, values]) => fc.constantFrom(...values).map((value) => ({ kind: 'breaker' as const, param, value }))),
    fc.constantFrom('PUT', 'DELETE', 'PATCH', endpoint.method === 'GET' ? 'POST' : 'GET').map((method) => ({ kind: 'method' as const, method })),
    fc.record({ name: fc.constantFrom(...names), operator: fc.constantFrom('$ne', '$gt', '$regex', '', '0', '$where') }).map((d) => ({ kind: 'bracket' as const, ...d })),
    fc.constantFrom(...names).map((name) => ({ kind: 'conflict' as const, name })),
  ];
  if (endpoint.method === 'POST') {
    options.push(
      fc.record({ name: fc.constantFrom(...Object.keys(endpoint.params(seedPlaceholder)).concat(Object.keys(endpoint.breakers))), value: fc.oneof(fc.object(), fc.array(fc.string()), fc.constant(null)) }).map((d) => ({ kind: 'json-object' as const, ...d })),
      fc.constant({ kind: 'oversize' as const }),
      fc.string({ unit: 'binary', maxLength: 200 }).map((garbage) => ({ kind: 'broken-multipart' as const, garbage })),
    );
  }
  return fc.oneof(...options);
}
const seedPlaceholder: Seed = { token: 't', userId: 1, videoId: 1, commentId: 1 };

async function send(baseUrl: string, seed: Seed, endpoint: EndpointShape, defect: Defect, noise: Record<string, string>) {
  const params: Record<string, string> = { ...noise, ...endpoint.params(seed) };
  if (defect.kind === 'breaker') params[defect.param] = defect.value;
  const url = new URL(endpoint.path, baseUrl);
  const headers: Record<string, string> = {};
  let body: string | URLSearchParams | undefined;
  let method: string = endpoint.method;
  const query = new URLSearchParams(params);
  switch (defect.kind) {
    case 'method':
      method = defect.method;
      break;
    case 'bracket':
      query.append(`${defect.name}[${defect.operator}]`, '1');
      break;
    case 'conflict':
      query.append(defect.name, 'first');
      query.append(defect.name, 'second');
      break;
    case 'json-object':
      headers['content-type'] = 'application/json';
      body = JSON.stringify({ ...params, [defect.name]: defect.value });
      break;
    case 'oversize':
      body = new URLSearchParams({ ...params, padding: 'x'.repeat(200_000) });
      break;
    case 'broken-multipart':
      headers['content-type'] = 'multipart/form-data; boundary=fuzz';
      body = `--fuzz\r\nContent-Disposition: form-data; name="title"\r\n\r\n${defect.garbage}`;
      break;
  }
  if (!body) url.search = query.toString();
  const response = await fetch(url, { method, headers, body });
  return { status: response.status, text: await response.text() };
}

/**
 * Every stored document but the id leases and the changes to counters pending a fold (a refused
 * delete records its change before its write finds nothing to delete): those must be gone after
 * the next fold, which `pendingFolded` waits for.
 */
async function pendingFolded(db: mongoose.Connection): Promise<boolean> {
  const deadline = Date.now() + FOLD_MS + 2_000;
  while (Date.now() < deadline) {
    if ((await db.collection('pending_changes').countDocuments()) === 0) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

async function snapshot(db: mongoose.Connection): Promise<string> {
  const collections = (await db.listCollections()).map((c) => c.name).filter((name) => !['worker_leases', 'pending_changes'].includes(name)).sort();
  const dump: Record<string, unknown[]> = {};
  for (const name of collections) dump[name] = await db.collection(name).find().sort({ _id: 1 }).toArray();
  return JSON.stringify(dump);
}

test('hundreds of malformed requests to every endpoint are each refused with the envelope, and change nothing', async (t) => {
  const { server, seed, db, api } = t.context;
  t.true(await pendingFolded(db), 'the seeding is folded'); // else the fold would change users and videos meanwhile
  const before = await snapshot(db);
  const property = fc.asyncProperty(
    endpointArb.chain((endpoint) => fc.tuple(fc.constant(endpoint), defectArb(endpoint), noiseArb)),
    async ([endpoint, defect, noise]) => {
      const { status, text } = await send(server.baseUrl, seed, endpoint, defect, noise);
      const where = `${endpoint.path} ${JSON.stringify(defect).slice(0, 200)} → ${status} ${text.slice(0, 200)}`;
      if (status >= 500) throw new Error(`5xx: ${where}`);
      const envelope = JSON.parse(text) as { status_code?: unknown; status_msg?: unknown };
      if (typeof envelope.status_code !== 'number' || envelope.status_code === 0) throw new Error(`not refused: ${where}`);
      if (typeof envelope.status_msg !== 'string' || envelope.status_msg === '') throw new Error(`no status_msg: ${where}`);
      if (/\n\s+at /.test(text)) throw new Error(`stack trace leaked: ${where}`);
    },
  );
  await fc.assert(property, { numRuns: 400 });
  t.is(await snapshot(db), before, 'no stored data changed');
  t.true(await pendingFolded(db), 'no change pending after the next fold');
  t.is((await api.get('/douyin/feed/')).body.status_code, 0, 'the server still answers');
  t.is(server.child.exitCode, null);
});
