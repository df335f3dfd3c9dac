import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import { client } from './helpers/api.js';
import { removeDataDir, temporaryDir } from './helpers/dirs.js';
import { CLIENT_WAIT_MS, DEFAULT_BUDGET, eventually, metric, rest, sleep, Traffic, watchReadiness, type Outcome } from './helpers/faults.js';
import { tinyVideo } from './helpers/media.js';
import { startTestS3, type TestS3 } from './helpers/s3-server.js';
import { startServer, type ServerProcess } from './helpers/server.js';
import { startTestStore } from './helpers/store.js';
import { openUnder, spooled } from './helpers/held-files.js';
import type { RunningStore } from '../server/store/embedded.js';

/**
 * Issue 27 with media in a bucket (SeaweedFS): frozen (SIGSTOP) or killed under a little traffic, a
 * publish is refused with 50003 within its budget, reads go on, /readyz says the bucket is down within
 * 5 s and recovers, and nothing a client was told is published is lost, nor anything it was told failed
 * published.
 */
interface Context {
  s3: TestS3;
  store: RunningStore;
}
const test = anyTest.serial as TestFn<Context>;

const ANSWERED_WITHIN_MS = 5_500;
const READY_FAILS_WITHIN_MS = 5_000;
const FAULT_MS = 7_000;

test.before(async (t) => {
  const [s3, store] = await Promise.all([startTestS3(), startTestStore()]);
  t.context = { s3, store };
});

test.after.always(async (t) => {
  await t.context.store?.stop();
  await t.context.s3?.remove();
});

async function bucketServer(t: ExecutionContext<Context>, db: string): Promise<{ server: ServerProcess; dataDir: string }> {
  const dataDir = temporaryDir('douyin-deadlines-s3-');
  t.teardown(() => removeDataDir(dataDir));
  const server = await startServer({ ...t.context.s3.env, MONGO_URL: `${t.context.store.url}${db}`, DATA_DIR: dataDir, ...DEFAULT_BUDGET });
  t.teardown(() => server.stop());
  return { server, dataDir };
}

/** A GET of a video through the server's /media/ route: a redirect to the bucket, or 503 with the envelope. */
async function mediaGet(baseUrl: string, videoId: number) {
  const response = await fetch(`${baseUrl}/media/videos/${videoId}.mp4`, { redirect: 'manual', signal: AbortSignal.timeout(CLIENT_WAIT_MS) });
  const body = response.status === 503 ? (await response.json()) as Record<string, any> : (await response.arrayBuffer(), { status_code: 0 });
  return { httpStatus: response.status, body, retryAfter: response.headers.get('retry-after') };
}

async function underBucketFault(t: ExecutionContext<Context>, db: string, fault: { begin(): Promise<void> | void; end(): Promise<void> | void }) {
  const { server, dataDir } = await bucketServer(t, db);
  const api = client(server.baseUrl);
  const author = await api.newUser('author');
  const clip = await tinyVideo();
  const first = await api.publish(author.token, 'before', clip);
  const load = new Traffic([
    () => ({ what: 'GET feed', answer: rest(server.baseUrl, 'GET', '/douyin/feed/') }),
    () => ({ what: 'GET /media/', answer: mediaGet(server.baseUrl, first) }),
    (n) => (n % 2 === 0 ? { what: 'publish', key: `clip-${n}`, answer: publishWithHeaders(server.baseUrl, author.token, `clip-${n}`, clip) } : undefined),
  ], 500);

  load.start();
  await sleep(1_500);
  const faultAt = Date.now();
  await fault.begin();
  const readiness = watchReadiness(server.baseUrl);
  await sleep(FAULT_MS);
  const endedAt = Date.now(); // the dependency may answer before end() returns (a restart waits until it does)
  await fault.end();
  const back = await eventually(async () => (await mediaGet(server.baseUrl, first)).httpStatus === 302, 30_000);
  t.true(back, 'the bucket serves again');
  await sleep(1_500);
  const outcomes = await load.stop();
  const samples = await readiness.stop();

  const hung = outcomes.filter((o) => o.ms === undefined);
  t.deepEqual(hung.map((o) => o.what), [], 'no request left without an answer');
  const late = outcomes.filter((o) => o.ms !== undefined && o.ms > ANSWERED_WITHIN_MS);
  t.deepEqual(late.map((o) => `${o.what} after ${o.ms} ms`), [], `every answer within ${ANSWERED_WITHIN_MS} ms`);
  const wrong = outcomes.filter((o) => !rightAnswer(o));
  // Which step ran out of time, when one did: the server's warnings name the error.
  if (wrong.length > 0) server.output.filter((line) => /store unavailable|unexpected/.test(line)).forEach((line) => t.log(line.slice(0, 600)));
  t.deepEqual(wrong.map((o) => `${o.what}: ${o.httpStatus} ${JSON.stringify(o.body)} Retry-After ${o.retryAfter}`), [], 'reads succeed; a publish succeeds or is refused with 50003, HTTP 503 and Retry-After');
  const during = outcomes.filter((o) => o.at >= faultAt && o.at < endedAt);
  t.true(during.some((o) => o.what === 'publish' && o.code === 50003), 'the fault was felt: publishes were refused');

  const failing = samples.find((sample) => sample.status === 503 && sample.checks.media === 'down');
  t.truthy(failing, '/readyz fails while the bucket does not answer');
  t.true(failing !== undefined && failing.answeredAt - faultAt <= READY_FAILS_WITHIN_MS, `/readyz failed ${failing && failing.answeredAt - faultAt} ms after the fault`);
  t.deepEqual(samples.filter((s) => s.at >= failing!.answeredAt && s.answeredAt < endedAt && s.status !== 503), [], '/readyz keeps failing while the fault lasts');
  t.true(await eventually(async () => (await fetch(`${server.baseUrl}/readyz`)).status === 200, 15_000), '/readyz recovers');

  // What a client was told is published is there; what it was told failed is not.
  await sleep(2_000);
  const listed = (await api.get('/douyin/publish/list/', { token: author.token, user_id: author.id, limit: 100 })).body.video_list as Array<{ title: string }>;
  const titles = listed.map((video) => video.title);
  const publishes = outcomes.filter((o) => o.what === 'publish');
  t.deepEqual(publishes.filter((o) => o.code === 0 && !titles.includes(o.key!)).map((o) => o.key), [], 'every acknowledged publish is listed');
  t.deepEqual(publishes.filter((o) => o.code !== 0 && titles.includes(o.key!)).map((o) => o.key), [], 'no refused publish is listed');

  t.true(await eventually(async () => (await metric(server.baseUrl, 'requests_pending')) === 0, 20_000), 'no request left running in the server');
  t.true(await eventually(async () => (await spooled(dataDir)).length === 0 && (await openUnder(server, dataDir)).length === 0, 20_000),
    'every spooled upload removed and closed');
}

/** A publish whose answer keeps its Retry-After header. */
async function publishWithHeaders(baseUrl: string, token: string, title: string, clip: Uint8Array) {
  const form = new FormData();
  form.append('token', token);
  form.append('title', title);
  form.append('data', new Blob([clip], { type: 'video/mp4' }), 'clip.mp4');
  const response = await fetch(`${baseUrl}/douyin/publish/action/`, { method: 'POST', body: form, signal: AbortSignal.timeout(CLIENT_WAIT_MS) });
  return { httpStatus: response.status, body: (await response.json()) as Record<string, any>, retryAfter: response.headers.get('retry-after') };
}

function rightAnswer(outcome: Outcome): boolean {
  if (outcome.ms === undefined) return true; // counted as hung above
  if (outcome.what === 'GET feed') return outcome.code === 0 && outcome.httpStatus === 200;
  if (outcome.what === 'GET /media/') return outcome.httpStatus === 302 || (outcome.httpStatus === 503 && outcome.code === 50003 && outcome.retryAfter !== null);
  return (outcome.code === 0 && outcome.httpStatus === 200) || (outcome.code === 50003 && outcome.httpStatus === 503 && outcome.retryAfter === '2');
}

test('the bucket frozen: publishes refused with 50003 within 5.5 s, reads go on, /readyz fails within 5 s and recovers, nothing lost', (t) => {
  const { s3 } = t.context;
  return underBucketFault(t, 'bucket-frozen', { begin: () => s3.pause(), end: () => s3.resume() });
});

test('the bucket killed and started again: the same', (t) => {
  const { s3 } = t.context;
  return underBucketFault(t, 'bucket-killed', { begin: () => s3.stop(), end: () => s3.start() });
});
