import { readFile, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import path from 'node:path';
import {
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import { S3Storage } from '../storage/s3.js';
import { client, type Client } from './helpers/api.js';
import { removeDataDir, temporaryDir } from './helpers/dirs.js';
import { DEFAULT_BUDGET } from './helpers/faults.js';
import { decodeImage, fixtureDir, makeVideo, slowCoverFfmpeg } from './helpers/media.js';
import { mp4Faults, videoStreamHash } from './helpers/playable.js';
import { ownVideoWhen } from './helpers/processing.js';
import { startTestS3, type TestS3 } from './helpers/s3-server.js';
import { startServer, type ServerProcess } from './helpers/server.js';
import { startTestStore } from './helpers/store.js';
import { openUnder, spooled } from './helpers/held-files.js';
import type { RunningStore } from '../server/store/embedded.js';

/**
 * The S3 media storage against a real S3-compatible server (SeaweedFS, test/helpers/s3-server.ts)
 * and a real server process: what clients are given, what lands in the bucket, and what does not.
 */
interface Context {
  s3: TestS3;
  store: RunningStore;
  server: ServerProcess;
  api: Client;
  dataDir: string;
  fixtures: string;
  red: Buffer;
  /** Over one 8 MiB part: it goes up as a multipart upload. */
  large: Buffer;
}
const test = anyTest.serial as TestFn<Context>;
const DB = 's3media';
const MAX_UPLOAD_MB = 40;

test.before(async (t) => {
  const fixtures = await fixtureDir();
  const [s3, store] = await Promise.all([startTestS3(), startTestStore()]);
  const dataDir = temporaryDir('douyin-s3-server-');
  const server = await startServer(serverEnv(s3, store, dataDir));
  const red = await readFile(await makeVideo(path.join(fixtures, 'red.mp4'), { color: 'red' }));
  const large = await readFile(await makeVideo(path.join(fixtures, 'large.mp4'), { color: 'blue', seconds: 3, size: '1280x720', grain: 80 }));
  t.context = { s3, store, server, api: client(server.baseUrl), dataDir, fixtures, red, large };
});

test.after.always(async (t) => {
  await t.context.server?.stop();
  await t.context.store?.stop();
  await t.context.s3?.remove();
  if (t.context.dataDir) await removeDataDir(t.context.dataDir);
  if (t.context.fixtures) await rm(t.context.fixtures, { recursive: true, force: true });
});

/** The default request budget (5 s): a stalled bucket refuses a publish within it. */
function serverEnv(s3: TestS3, store: RunningStore, dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return { ...s3.env, MONGO_URL: `${store.url}${DB}`, DATA_DIR: dataDir, MAX_UPLOAD_MB: String(MAX_UPLOAD_MB), ...DEFAULT_BUDGET, ...extra };
}

async function publish(t: ExecutionContext<Context>, token: string, bytes: Buffer, title = 'clip') {
  return (await t.context.api.upload('/douyin/publish/action/', { token, title }, { bytes })).body;
}

async function latestVideo(t: ExecutionContext<Context>, token: string) {
  const { body } = await t.context.api.get('/douyin/publish/list/', { token, limit: 1 });
  return body.video_list[0] as { id: number; title: string; play_url: string; cover_url: string } | undefined;
}

/** The media keys in the bucket (the helper's readiness probe is not one). */
async function bucketKeys(t: ExecutionContext<Context>): Promise<string[]> {
  const { s3 } = t.context;
  const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket }));
  return (listed.Contents ?? []).map((object) => object.Key!).filter((key) => /^(videos|covers)\//.test(key)).sort();
}

/** The videos in the bucket: what a publish stores first (covers of earlier videos may still be on their way). */
async function storedVideos(t: ExecutionContext<Context>): Promise<string[]> {
  return (await bucketKeys(t)).filter((key) => key.startsWith('videos/'));
}

async function pendingMultipartUploads(t: ExecutionContext<Context>): Promise<number> {
  const { s3 } = t.context;
  return (await s3.client.send(new ListMultipartUploadsCommand({ Bucket: s3.bucket }))).Uploads?.length ?? 0;
}

/** A publish over a raw socket, sent up to the start of the file: the test writes (or withholds) the rest. */
async function startUpload(server: ServerProcess, token: string, contentLength: number): Promise<Socket> {
  const boundary = 'raw-upload';
  const socket = connect(Number(new URL(server.baseUrl).port), '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(`POST /douyin/publish/action/?token=${token}&title=raw HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
    `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${contentLength}\r\n\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="data"; filename="clip.mp4"\r\nContent-Type: video/mp4\r\n\r\n`);
  return socket;
}

/** Everything the server sends back until it closes the connection. */
async function answerOf(socket: Socket): Promise<string> {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  await new Promise((resolve) => socket.once('close', resolve));
  return Buffer.concat(chunks).toString();
}

async function eventually<T>(probe: () => Promise<T | undefined>, what: string, ms = 15_000): Promise<T> {
  for (const deadline = Date.now() + ms; Date.now() < deadline;) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what}: not within ${ms} ms`);
}

test('a published clip is played from the bucket: a presigned URL, its video stream as uploaded, Range, a real cover; unsigned is refused', async (t) => {
  const { api, s3, red, fixtures } = t.context;
  const author = await api.newUser('s3author');
  t.is((await publish(t, author.token, red)).status_code, 0);
  const video = (await latestVideo(t, author.token))!;

  const play = new URL(video.play_url);
  t.is(play.origin, s3.endpoint, 'the phone fetches from the bucket, not from the app server');
  t.is(play.pathname, `/${s3.bucket}/videos/${video.id}.mp4`);
  t.truthy(play.searchParams.get('X-Amz-Signature'));
  const whole = await fetch(video.play_url);
  t.is(whole.status, 200);
  t.is(whole.headers.get('content-type'), 'video/mp4');
  const served = Buffer.from(await whole.arrayBuffer());
  t.deepEqual((await mp4Faults(served, fixtures)).faults, []);
  t.is(await videoStreamHash(video.play_url), await videoStreamHash(path.join(fixtures, 'red.mp4')), 'remuxed, not re-encoded');
  const part = await fetch(video.play_url, { headers: { range: 'bytes=100-199' } });
  t.is(part.status, 206);
  t.is(part.headers.get('content-range'), `bytes 100-199/${served.length}`);
  t.true(Buffer.from(await part.arrayBuffer()).equals(served.subarray(100, 200)));
  t.is((await fetch(`${play.origin}${play.pathname}`)).status, 403, 'the bucket is not public: only signed URLs read it');

  const cover = await eventually(async () => {
    const response = await fetch(video.cover_url);
    return response.status === 200 ? Buffer.from(await response.arrayBuffer()) : undefined;
  }, 'the cover in the bucket');
  const image = await decodeImage(cover, t.context.fixtures);
  t.deepEqual([image.width, image.height], [320, 240]);
  t.true(image.rgb[0]! > 200 && image.rgb[1]! < 60 && image.rgb[2]! < 60, `a red frame, not a placeholder: ${image.rgb.join(',')}`);

  t.is((await latestVideo(t, author.token))!.play_url, video.play_url, 'the same link within a signing window: caches can keep it');
  const redirect = await fetch(`${t.context.server.baseUrl}/media/videos/${video.id}.mp4`, { redirect: 'manual' });
  t.is(redirect.status, 302, 'old /media/ links are sent to the bucket');
  t.is(redirect.headers.get('location'), video.play_url);
  const head = await fetch(`${t.context.server.baseUrl}/media/covers/${video.id}.jpg`, { method: 'HEAD' });
  t.is(head.headers.get('content-type'), 'image/jpeg', 'HEAD says the cover exists (as the console asks), without a redirect');
});

test('a video larger than one part goes up in parts and comes back whole', async (t) => {
  const { api, s3, large } = t.context;
  t.true(large.length > 8 * 1024 * 1024, `the fixture is ${large.length} bytes`);
  const author = await api.newUser('s3large');
  t.is((await publish(t, author.token, large)).status_code, 0);
  const video = (await latestVideo(t, author.token))!;
  const head = await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: `videos/${video.id}.mp4` }));
  t.regex(head.ETag ?? '', /-\d+"?$/, 'a multipart ETag: the upload went in parts');
  t.is(head.CacheControl, 'public, max-age=31536000, immutable');
  t.is(await videoStreamHash(video.play_url), await videoStreamHash(path.join(t.context.fixtures, 'large.mp4')), 'whole: every frame as uploaded');
  t.is(await pendingMultipartUploads(t), 0);
  // Its HLS renditions are made from a copy of it in the spool.
  await ownVideoWhen(api, author.token, video.id, (listed) => listed.hls_url !== '');
  t.deepEqual(await spooled(t.context.dataDir), [], 'the spooled upload and what processing it took are removed');
});

test('refused and interrupted uploads leave nothing in the bucket or the spool', async (t) => {
  const { api, server, red, dataDir } = t.context;
  const author = await api.newUser('s3refused');
  const before = await storedVideos(t);
  t.is((await publish(t, author.token, Buffer.from('not a video at all, just text'))).status_code, 10006);
  t.is((await publish(t, author.token, red.subarray(0, 2000))).status_code, 10006, 'a cut-off MP4 does not play');
  // Refused on its Content-Length alone. (Sending body bytes the server will not read would race
  // its close: unread bytes make the kernel reset the connection, which can discard the answer.)
  const tooLarge = await startUpload(server, author.token, (MAX_UPLOAD_MB + 2) * 1024 * 1024);
  t.regex(await answerOf(tooLarge), /"status_code":10005/);

  const cut = await startUpload(server, author.token, red.length + 400);
  cut.write(red.subarray(0, red.length / 2));
  await new Promise((resolve) => setTimeout(resolve, 300));
  cut.destroy();

  await eventually(async () => ((await spooled(dataDir)).length === 0 ? true : undefined), 'the spool emptied', 5_000);
  t.deepEqual(await storedVideos(t), before);
  t.is(await pendingMultipartUploads(t), 0);
  t.is(await latestVideo(t, author.token), undefined);
});

test('while the bucket is down, publishing answers 50003 and publishes nothing; reading goes on; afterwards it works again', async (t) => {
  const { api, s3, red, dataDir } = t.context;
  const author = await api.newUser('s3down');
  t.is((await publish(t, author.token, red, 'before the outage')).status_code, 0);
  // Its processing (HLS, from a copy in the spool) is over before the outage: what is looked at is the publish in it.
  await ownVideoWhen(api, author.token, (await latestVideo(t, author.token))!.id, (listed) => listed.hls_url !== '');
  await s3.stop();
  try {
    const started = Date.now();
    const answer = await api.upload('/douyin/publish/action/', { token: author.token, title: 'in the outage' }, { bytes: red });
    t.is(answer.httpStatus, 503);
    t.is(answer.body.status_code, 50003);
    t.regex(answer.body.status_msg, /storage temporarily unavailable/);
    t.log(`refused after ${Date.now() - started} ms`);
    t.is((await latestVideo(t, author.token))!.title, 'before the outage', 'no record without its video');
    t.deepEqual(await spooled(dataDir), []);
    t.deepEqual(await openUnder(t.context.server, dataDir), [], 'the spooled file was closed too');
    const feed = await api.get('/douyin/feed/');
    t.is(feed.body.status_code, 0, 'links are signed without asking the bucket');
    t.true(feed.body.video_list.length > 0);
  } finally {
    await s3.start();
  }
  t.is((await publish(t, author.token, red, 'after the outage')).status_code, 0);
  t.is((await fetch((await latestVideo(t, author.token))!.play_url)).status, 200);
});

test('a bucket that stops answering: a publish is refused with 50003 within its budget (5 s) and stays unpublished, /media/ answers 503', async (t) => {
  const { api, s3, red, server } = t.context;
  const author = await api.newUser('s3frozen');
  t.is((await publish(t, author.token, red, 'before the freeze')).status_code, 0);
  const stored = (await latestVideo(t, author.token))!;
  s3.pause();
  try {
    const started = Date.now();
    const answer = await api.upload('/douyin/publish/action/', { token: author.token, title: 'in the freeze' }, { bytes: red });
    const took = Date.now() - started;
    t.log(`publish refused after ${took} ms`);
    t.is(answer.httpStatus, 503);
    t.is(answer.body.status_code, 50003);
    t.true(took < 5_500, `answered within the request's budget: ${took} ms`);
    const media = await fetch(`${server.baseUrl}/media/videos/${stored.id}.mp4`, { redirect: 'manual' });
    t.is(media.status, 503);
    t.is(media.headers.get('retry-after'), '5');
    t.is(((await media.json()) as { status_code: number }).status_code, 50003);
  } finally {
    s3.resume();
  }
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  t.is((await latestVideo(t, author.token))!.title, 'before the freeze', 'a publish its client saw refused is not published when the bucket wakes');
});

test('until its cover is made a video links to the server\'s placeholder; a cover the bucket could not take is made again while the server runs', async (t) => {
  const { s3, store, red } = t.context;
  const dataDir = temporaryDir('douyin-s3-cover-retry-');
  t.teardown(() => removeDataDir(dataDir));
  const server = await startServer(serverEnv(s3, store, dataDir, { PATH: `${await slowCoverFfmpeg()}:${process.env.PATH}` }));
  t.teardown(() => server.stop());
  const api = client(server.baseUrl);
  const author = await api.newUser('s3retry');
  t.is((await api.upload('/douyin/publish/action/', { token: author.token, title: 'slow cover' }, { bytes: red })).body.status_code, 0);
  const coverUrl = async () => ((await api.get('/douyin/publish/list/', { token: author.token })).body.video_list[0] as { id: number; cover_url: string });
  const { id, cover_url: pending } = await coverUrl();
  const coverKey = `covers/${id}.jpg`;
  t.is(pending, `${server.baseUrl}/media/${coverKey}`, 'no link to an object that does not exist yet');
  t.is((await fetch(pending)).headers.get('content-type'), 'image/png', 'the placeholder');
  s3.pause(); // ffmpeg, three seconds late, finds the bucket frozen and is stopped after 15 s
  await new Promise((resolve) => setTimeout(resolve, 20_000));
  s3.resume();
  t.false((await bucketKeys(t)).includes(coverKey), 'the first try failed');
  await eventually(async () => (await bucketKeys(t)).includes(coverKey) || undefined, 'the cover made by a later try', 40_000);
  const made = await eventually(async () => ((await coverUrl()).cover_url.startsWith(s3.endpoint) ? (await coverUrl()).cover_url : undefined), 'the link to the cover');
  t.is((await fetch(made)).headers.get('content-type'), 'image/jpeg');
});

test('a server killed mid-upload: nothing published, its spool cleared at the next start, covers it never made are made, a retry succeeds', async (t) => {
  const { s3, store, large, red } = t.context;
  const dataDir = temporaryDir('douyin-s3-killed-');
  t.teardown(() => removeDataDir(dataDir));
  const first = await startServer(serverEnv(s3, store, dataDir));
  const api = client(first.baseUrl);
  const author = await api.newUser('s3killed');
  const before = await storedVideos(t);

  const socket = await startUpload(first, author.token, large.length + 400);
  socket.write(large.subarray(0, large.length / 2));
  await eventually(async () => ((await spooled(dataDir)).length > 0 ? true : undefined), 'the upload being spooled');
  await first.stop('SIGKILL');
  socket.destroy();

  // A video a dead process stored without making its cover.
  await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'videos/777001.mp4', Body: red, ContentType: 'video/mp4' }));
  const second = await startServer(serverEnv(s3, store, dataDir));
  t.teardown(() => second.stop());
  t.deepEqual(await spooled(dataDir), [], 'the dead process\'s spool is removed');
  t.deepEqual((await storedVideos(t)).filter((key) => !before.includes(key)), ['videos/777001.mp4'], 'nothing of the killed upload is stored');
  await eventually(async () => (await bucketKeys(t)).includes('covers/777001.jpg') || undefined, 'the missing cover made at start');
  const cover = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'covers/777001.jpg' }));
  t.is(cover.ContentType, 'image/jpeg');

  const retry = client(second.baseUrl);
  t.is((await retry.upload('/douyin/publish/action/', { token: author.token, title: 'retried' }, { bytes: large })).body.status_code, 0);
  t.is((await retry.get('/douyin/publish/list/', { token: author.token })).body.video_list.length, 1);
});

test('multipart uploads a dead process left behind are aborted at start once stale', async (t) => {
  const { s3, dataDir } = t.context;
  await s3.client.send(new CreateMultipartUploadCommand({ Bucket: s3.bucket, Key: 'videos/888001.mp4' }));
  t.is(await pendingMultipartUploads(t), 1);
  const storage = new S3Storage({
    bucket: s3.bucket, endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true,
    credentials: { accessKeyId: s3.env.S3_ACCESS_KEY_ID!, secretAccessKey: s3.env.S3_SECRET_ACCESS_KEY! },
    urlTtlSeconds: 3600, spoolDir: path.join(dataDir, 'uploads'), minFreeBytes: 0,
  });
  t.is(await storage.abortStaleUploads(3600 * 1000), 0, 'a fresh one may belong to a live process');
  t.is(await storage.abortStaleUploads(0), 1);
  t.is(await pendingMultipartUploads(t), 0);
  await storage.close();
});

test('with S3_PUBLIC_URL, links are that base (a CDN) plus the key', async (t) => {
  const { s3, store, api } = t.context;
  const author = await api.newUser('s3cdn');
  t.is((await publish(t, author.token, t.context.red)).status_code, 0);
  const id = (await latestVideo(t, author.token))!.id;
  const dataDir = temporaryDir('douyin-s3-cdn-');
  t.teardown(() => removeDataDir(dataDir));
  const cdn = await startServer(serverEnv(s3, store, dataDir, { S3_PUBLIC_URL: 'https://cdn.example.com/media/' }));
  t.teardown(() => cdn.stop());
  const { body } = await client(cdn.baseUrl).get('/douyin/publish/list/', { token: author.token });
  t.is(body.video_list[0].play_url, `https://cdn.example.com/media/videos/${id}.mp4`);
  t.is(body.video_list[0].cover_url, `https://cdn.example.com/media/covers/${id}.jpg`);
});

test('with S3_PRESIGN_ENDPOINT, links are signed for the address clients reach the bucket at', async (t) => {
  const { s3, store, api } = t.context;
  const author = await api.newUser('s3public');
  t.is((await publish(t, author.token, t.context.red)).status_code, 0);
  const dataDir = temporaryDir('douyin-s3-presign-');
  t.teardown(() => removeDataDir(dataDir));
  const outside = s3.endpoint.replace('127.0.0.1', 'localhost');
  const server = await startServer(serverEnv(s3, store, dataDir, { S3_PRESIGN_ENDPOINT: outside }));
  t.teardown(() => server.stop());
  const { body } = await client(server.baseUrl).get('/douyin/publish/list/', { token: author.token });
  const link = body.video_list[0].play_url as string;
  t.true(link.startsWith(`${outside}/${s3.bucket}/videos/`), link);
  const video = await fetch(link);
  t.is(video.status, 200, 'the signature holds for that host');
  t.is(await videoStreamHash(link), await videoStreamHash(path.join(t.context.fixtures, 'red.mp4')));
});

test('a bucket that cannot be reached stops the start with a message that says so', async (t) => {
  const { s3, store } = t.context;
  const dataDir = temporaryDir('douyin-s3-unreachable-');
  t.teardown(() => removeDataDir(dataDir));
  const error = await t.throwsAsync(startServer(serverEnv(s3, store, dataDir, { S3_ENDPOINT: 'http://127.0.0.1:1' })));
  t.regex(error!.message, /S3 bucket media cannot be reached/);
});
