import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { connect } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import anyTest, { type TestFn } from 'ava';
import mongoose from 'mongoose';
import { client, type Client } from './helpers/api.js';
import { removeDataDir } from './helpers/dirs.js';
import { decodeImage, fixtureDir, makeVideo } from './helpers/media.js';
import { mp4Faults, videoStreamHash } from './helpers/playable.js';
import { ownVideoWhen } from './helpers/processing.js';
import { startServer, type ServerProcess } from './helpers/server.js';
import { startTestStore } from './helpers/store.js';
import type { RunningStore } from '../server/store/embedded.js';

interface Context {
  store: RunningStore;
  server: ServerProcess;
  api: Client;
  dataDir: string;
  fixtures: string;
  red: Buffer;
  /** One frame of 4200 × 4200 pixels: small on disk, 26 MB to decode. */
  huge: Buffer;
  db: mongoose.Connection;
}
const test = anyTest.serial as TestFn<Context>;
const DB = 'videos';

test.before(async (t) => {
  const fixtures = await fixtureDir();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'douyin-videos-'));
  const store = await startTestStore();
  const server = await startServer({ MONGO_URL: `${store.url}${DB}`, DATA_DIR: dataDir, MAX_UPLOAD_MB: '1' });
  const red = await readFile(await makeVideo(path.join(fixtures, 'red.mp4'), { color: 'red' }));
  const huge = await readFile(await makeVideo(path.join(fixtures, 'huge.mp4'), { color: 'gray', seconds: 0.04, size: '4200x4200' }));
  const db = await mongoose.createConnection(`${store.url}${DB}`).asPromise();
  t.context = { store, server, api: client(server.baseUrl), dataDir, fixtures, red, huge, db };
});

test.after.always(async (t) => {
  await t.context.db?.close();
  await t.context.server?.stop();
  await t.context.store?.stop();
  await rm(t.context.dataDir, { recursive: true, force: true });
  await rm(t.context.fixtures, { recursive: true, force: true });
});

async function publish(t: { context: Context }, token: string, title: string, bytes = t.context.red, filename = 'clip.mp4') {
  return (await t.context.api.upload('/douyin/publish/action/', { token, title }, { bytes, filename })).body;
}

async function waitForCover(url: string): Promise<Response> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const response = await fetch(url);
    if (response.headers.get('content-type') === 'image/jpeg') return response;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no cover at ${url} after 10 s`);
}

function statusOf(url: string, headers: Record<string, string>): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (response) => {
      response.resume();
      resolve(response.statusCode);
    }).once('error', reject);
  });
}

/** Every file under DATA_DIR/media, uploads in progress included; not the HLS renditions, which earlier publishes add meanwhile. */
async function mediaFiles(dataDir: string): Promise<string[]> {
  const entries = await readdir(path.join(dataDir, 'media'), { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && !path.relative(path.join(dataDir, 'media'), entry.parentPath).startsWith('hls'))
    .map((entry) => path.relative(path.join(dataDir, 'media'), path.join(entry.parentPath, entry.name)))
    .sort();
}

test('a published clip appears in the feed, plays back as a faststart MP4 of the same video stream, and gets a cover taken from it', async (t) => {
  const { api, fixtures } = t.context;
  const author = await api.newUser('author');
  t.deepEqual(await publish(t, author.token, 'red square'), { status_code: 0, status_msg: 'success' });

  const { body } = await api.get('/douyin/feed/');
  t.is(body.status_code, 0);
  const video = body.video_list[0];
  t.like(video, { title: 'red square', favorite_count: 0, comment_count: 0, is_favorite: false });
  t.like(video.author, { id: author.id, name: author.username, work_count: 1, is_follow: false });
  t.regex(video.play_url, /^http:\/\/127\.0\.0\.1:\d+\/media\/videos\/\d+\.mp4$/);
  t.regex(video.cover_url, /^http:\/\/127\.0\.0\.1:\d+\/media\/covers\/\d+\.jpg$/);

  const played = await fetch(video.play_url);
  t.is(played.status, 200);
  t.is(played.headers.get('content-type'), 'video/mp4');
  const { faults } = await mp4Faults(Buffer.from(await played.arrayBuffer()), fixtures);
  t.deepEqual(faults, []);
  // H.264 that plays everywhere is remuxed (index first, a silent track added), not re-encoded.
  t.is(await videoStreamHash(video.play_url), await videoStreamHash(path.join(fixtures, 'red.mp4')));

  const cover = await waitForCover(video.cover_url);
  const image = await decodeImage(Buffer.from(await cover.arrayBuffer()), fixtures);
  t.is(image.width, 320);
  t.is(image.height, 240);
  const [r, g, b] = image.rgb as [number, number, number];
  t.true(r > 200 && g < 60 && b < 60, `the cover is red like the clip: ${image.rgb}`);
});

test('a WebM clip is accepted, processed, and served as an MP4', async (t) => {
  const { api, fixtures } = t.context;
  const author = await api.newUser('webm');
  const webm = await readFile(await makeVideo(path.join(fixtures, 'blue.webm'), { color: 'blue', seconds: 1 }));
  t.is((await publish(t, author.token, 'blue', webm, 'blue.webm')).status_code, 0);
  const { body } = await api.get('/douyin/publish/list/', { token: author.token, user_id: author.id });
  const video = await ownVideoWhen(api, author.token, body.video_list[0].id, (candidate) => candidate.state === 'ready');
  t.regex(video.play_url, /\.mp4$/);
  t.is((await fetch(video.play_url)).headers.get('content-type'), 'video/mp4');
});

test('range requests return exactly the requested bytes, repeatedly, and refuse impossible ranges', async (t) => {
  const { api } = t.context;
  const author = await api.newUser('seek');
  await publish(t, author.token, 'seekable');
  const url = (await api.get('/douyin/publish/list/', { token: author.token })).body.video_list[0].play_url as string;
  const red = Buffer.from(await (await fetch(url)).arrayBuffer());

  for (const [range, start, end] of [['bytes=0-99', 0, 99], ['bytes=1000-1499', 1000, 1499], ['bytes=-64', red.length - 64, red.length - 1], ['bytes=2000-', 2000, red.length - 1]] as const) {
    const response = await fetch(url, { headers: { range } });
    t.is(response.status, 206, range);
    t.is(response.headers.get('content-range'), `bytes ${start}-${end}/${red.length}`);
    t.deepEqual(Buffer.from(await response.arrayBuffer()), red.subarray(start, end + 1), range);
  }
  const beyond = await fetch(url, { headers: { range: `bytes=${red.length + 10}-` } });
  t.is(beyond.status, 416);
  t.is(beyond.headers.get('content-range'), `bytes */${red.length}`);

  const full = await fetch(url);
  t.is(full.headers.get('accept-ranges'), 'bytes');
  const etag = full.headers.get('etag')!;
  t.truthy(etag);
  // node:http rather than fetch: fetch adds "Cache-Control: no-cache" to conditional requests, which rightly defeats 304s.
  t.is(await statusOf(url, { 'if-none-match': etag }), 304);
  t.is(await statusOf(url, { 'if-modified-since': full.headers.get('last-modified')! }), 304);
});

test('nothing outside the storage can be served', async (t) => {
  const { server } = t.context;
  for (const probe of ['/media/videos/..%2f..%2f..%2fetc%2fpasswd', '/media/videos/%2e%2e/%2e%2e/package.json', '/media/../package.json', '/media/videos/1.mp4', '/media/videos/.tmp']) {
    const response = await fetch(server.baseUrl + probe);
    t.is(response.status, 404, probe);
  }
});

test('a cover that is not made yet answers with an uncached placeholder', async (t) => {
  const response = await fetch(`${t.context.server.baseUrl}/media/covers/12345.jpg`);
  t.is(response.status, 200);
  t.is(response.headers.get('content-type'), 'image/png');
  t.is(response.headers.get('cache-control'), 'no-store');
});

test('refusals: not a video, too large, missing or bad title, missing file, bad token; none leaves a file or a record', async (t) => {
  const { api, dataDir, red } = t.context;
  const author = await api.newUser('refused');
  const before = await mediaFiles(dataDir);
  const png = await readFile(new URL('../../server/assets/avatar.png', import.meta.url));
  const cases: Array<[string, () => Promise<Record<string, any>>, number, RegExp]> = [
    ['text named .mp4', () => publish(t, author.token, 'text', Buffer.from('definitely not a video '.repeat(100))), 10006, /not a video/],
    ['a PNG named .mp4', () => publish(t, author.token, 'png', png), 10006, /not a video/],
    ['an empty file', () => publish(t, author.token, 'empty', Buffer.alloc(0)), 10006, /not a video/],
    ['a bare ftyp box', () => publish(t, author.token, 'ftyp', red.subarray(0, red.readUInt32BE(0))), 10006, /not a (playable )?video/],
    ['an MP4 cut off half-way', () => publish(t, author.token, 'cut', red.subarray(0, red.length / 2)), 10006, /not a playable video/],
    ['frames of 4200 × 4200 pixels', () => publish(t, author.token, 'huge', t.context.huge), 10006, /not a playable video: its 4200×4200 frames are over 4096×4096 pixels/],
    ['oversize (1.5 MiB over a 1 MiB limit)', () => publish(t, author.token, 'big', Buffer.concat([red, Buffer.alloc(1.5 * 1024 * 1024)])), 10005, /at most 1 MiB/],
    ['missing title', () => api.upload('/douyin/publish/action/', { token: author.token }, { bytes: red }).then((a) => a.body), 10001, /^title is required$/],
    ['blank title', () => publish(t, author.token, '   '), 10001, /^title must be/],
    ['title too long', () => publish(t, author.token, 'x'.repeat(101)), 10001, /^title must be/],
    ['missing data', () => api.upload('/douyin/publish/action/', { token: author.token, title: 'no file' }).then((a) => a.body), 10001, /^data is required/],
    ['file in another field', () => api.upload('/douyin/publish/action/', { token: author.token, title: 'x' }, { field: 'video', bytes: red }).then((a) => a.body), 10004, /field video/],
    ['bad token', () => publish(t, 'forged.token.value', 'nope'), 20002, /token/],
    ['no token', () => api.upload('/douyin/publish/action/', { title: 'x' }, { bytes: red }).then((a) => a.body), 20001, /token/],
    ['not multipart', () => api.post('/douyin/publish/action/', { token: author.token, title: 'x' }, 'form').then((a) => a.body), 10004, /multipart/],
  ];
  for (const [name, send, code, message] of cases) {
    const body = await send();
    t.is(body.status_code, code, name);
    t.regex(body.status_msg, message, name);
  }
  t.deepEqual(await mediaFiles(dataDir), before);
  t.is((await api.get('/douyin/publish/list/', { token: author.token })).body.video_list.length, 0);
  t.is((await api.get('/douyin/user/', { token: author.token })).body.user.work_count, 0);
});

test('the client-sent file name never becomes a path', async (t) => {
  const { api, dataDir } = t.context;
  const author = await api.newUser('names');
  t.is((await publish(t, author.token, 'tricky', t.context.red, '../../../../tmp/evil.mp4')).status_code, 0);
  t.is((await publish(t, author.token, 'tricky2', t.context.red, '/etc/cron.d/x')).status_code, 0);
  for (const file of await mediaFiles(dataDir)) t.regex(file, /^((videos|sources)\/\d+\.(mp4|webm)|covers\/\d+\.jpg)$/);
});

test('an upload interrupted mid-way leaves no file and no record', async (t) => {
  const { api, server, dataDir } = t.context;
  const author = await api.newUser('cut');
  const before = await mediaFiles(dataDir);
  const boundary = 'cut-boundary';
  const head = [
    `--${boundary}\r\nContent-Disposition: form-data; name="token"\r\n\r\n${author.token}\r\n`,
    `--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\ncut short\r\n`,
    `--${boundary}\r\nContent-Disposition: form-data; name="data"; filename="clip.mp4"\r\nContent-Type: video/mp4\r\n\r\n`,
  ].join('');
  const { port } = new URL(server.baseUrl);
  const socket = connect(Number(port), '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(
    `POST /douyin/publish/action/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 900000\r\n\r\n${head}`,
  );
  socket.write(t.context.red);
  await new Promise((resolve) => setTimeout(resolve, 300));
  socket.destroy();
  await new Promise((resolve) => setTimeout(resolve, 500));
  t.deepEqual(await mediaFiles(dataDir), before);
  t.is((await api.get('/douyin/publish/list/', { token: author.token })).body.video_list.length, 0);
  t.is((await api.get('/douyin/feed/')).httpStatus, 200, 'the server still answers');
});

test('the feed pages through more than 30 videos of the same second with no gaps and no repeats', async (t) => {
  const { api } = t.context;
  const author = await api.newUser('pager');
  const titles = Array.from({ length: 35 }, (_, i) => `page-${i}`);
  for (const title of titles) t.is((await publish(t, author.token, title)).status_code, 0);

  const seen: Array<{ id: number; title: string }> = [];
  let latest: number | undefined;
  const pageSizes: number[] = [];
  for (let page = 0; page < 10; page += 1) {
    const { body } = await api.get('/douyin/feed/', { latest_time: latest });
    t.is(body.status_code, 0);
    if (body.video_list.length === 0) break;
    pageSizes.push(body.video_list.length);
    seen.push(...body.video_list);
    t.true(Number.isSafeInteger(body.next_time) && body.next_time > 1e12, 'next_time is in milliseconds');
    latest = body.next_time;
  }
  t.is(pageSizes[0], 30);
  const ours = seen.filter((video) => video.title.startsWith('page-'));
  t.deepEqual(ours.map((video) => video.title), [...titles].reverse(), 'newest first, each exactly once');
  t.is(new Set(seen.map((video) => video.id)).size, seen.length, 'no repeats');

  // A few seconds on, the older pages come from the cache of the newest videos: the same ones.
  await new Promise((resolve) => setTimeout(resolve, 3_500));
  const again: Array<{ id: number; title: string }> = [];
  latest = undefined;
  for (let page = 0; page < 10; page += 1) {
    const { body } = await api.get('/douyin/feed/', { latest_time: latest });
    if (body.video_list.length === 0) break;
    again.push(...body.video_list);
    latest = body.next_time;
  }
  t.deepEqual(again.filter((video) => video.title.startsWith('page-')).map((video) => video.id), ours.map((video) => video.id));
});

test('latest_time in seconds covers its whole second: no video of that second is skipped', async (t) => {
  const { api } = t.context;
  const author = await api.newUser('seconds');
  t.is((await publish(t, author.token, 'this second')).status_code, 0);
  const newest = (await api.get('/douyin/feed/')).body.video_list[0];
  t.is(newest.title, 'this second');
  const publishedAt = (await api.get('/douyin/feed/')).body.next_time as number;
  const inSeconds = await api.get('/douyin/feed/', { latest_time: Math.floor(Date.now() / 1000) });
  t.true(inSeconds.body.video_list.some((video: { id: number }) => video.id === newest.id));
  const beforeIt = await api.get('/douyin/feed/', { latest_time: 1_600_000_000 });
  t.false(beforeIt.body.video_list.some((video: { id: number }) => video.id === newest.id));
  t.true(publishedAt > 0);
});

test('viewer flags: is_favorite and author.is_follow are the viewer\'s, false when anonymous', async (t) => {
  const { api, db } = t.context;
  const [author, fan, stranger] = await Promise.all([api.newUser('star'), api.newUser('fan'), api.newUser('stranger')]);
  await publish(t, author.token, 'flagged');
  const video = (await api.get('/douyin/publish/list/', { token: author.token })).body.video_list[0];
  // Likes and follows get their endpoints in the interactions issue; the records are what the flags read.
  await db.collection('follows').insertOne({ _id: 1 as never, followerId: fan.id, followeeId: author.id });
  await db.collection('favorites').insertOne({ _id: 2 as never, userId: fan.id, videoId: video.id, authorId: author.id });

  const flags = async (token?: string) => {
    const { body } = await api.get('/douyin/feed/', { token });
    const found = body.video_list.find((candidate: { id: number }) => candidate.id === video.id);
    return { is_favorite: found.is_favorite, is_follow: found.author.is_follow };
  };
  t.deepEqual(await flags(fan.token), { is_favorite: true, is_follow: true });
  t.deepEqual(await flags(stranger.token), { is_favorite: false, is_follow: false });
  t.deepEqual(await flags(undefined), { is_favorite: false, is_follow: false });
  t.deepEqual(await flags('expired-or-garbage'), { is_favorite: false, is_follow: false }, 'a bad optional token counts as anonymous');

  const list = await api.get('/douyin/publish/list/', { token: fan.token, user_id: author.id });
  t.like(list.body.video_list[0], { id: video.id, is_favorite: true, author: { is_follow: true } });
});

test('publish list: only that user\'s videos, newest first; unknown user and bad ids refused with an empty list', async (t) => {
  const { api } = t.context;
  const [author, other] = await Promise.all([api.newUser('lister'), api.newUser('other')]);
  await publish(t, author.token, 'first');
  await publish(t, author.token, 'second');
  await publish(t, other.token, 'not mine');
  const { body } = await api.get('/douyin/publish/list/', { token: other.token, user_id: author.id });
  t.deepEqual(body.video_list.map((video: { title: string }) => video.title), ['second', 'first']);
  t.true(body.video_list.every((video: { author: { id: number } }) => video.author.id === author.id));

  const paged = await api.get('/douyin/publish/list/', { token: other.token, user_id: author.id, limit: 1 });
  t.deepEqual(paged.body.video_list.map((video: { title: string }) => video.title), ['second']);
  const rest = await api.get('/douyin/publish/list/', { token: other.token, user_id: author.id, latest_time: paged.body.next_time });
  t.deepEqual(rest.body.video_list.map((video: { title: string }) => video.title), ['first']);

  t.deepEqual((await api.get('/douyin/publish/list/', { token: other.token, user_id: 42 })).body, {
    status_code: 30001, status_msg: 'user not found', video_list: [], next_time: 0,
  });
  t.like((await api.get('/douyin/publish/list/', { token: other.token, user_id: 'x' })).body, { status_code: 10001, video_list: [] });
  t.like((await api.get('/douyin/publish/list/', { user_id: author.id })).body, { status_code: 20001, video_list: [] });
  t.like((await api.get('/douyin/feed/', { latest_time: 'yesterday' })).body, { status_code: 10001, video_list: [], next_time: 0 });
});

test('without ffmpeg, publishing still works, the cover stays a placeholder, and the start-up log says why', async (t) => {
  const { store, red } = t.context;
  const dataDir = await mkdtemp(path.join(tmpdir(), 'douyin-noffmpeg-'));
  t.teardown(() => removeDataDir(dataDir));
  // An empty directory as PATH: no ffmpeg to be found (the server itself is started by its full path).
  const server = await startServer({ MONGO_URL: `${store.url}${DB}`, DATA_DIR: dataDir, PATH: t.context.fixtures });
  t.teardown(() => server.stop());
  t.true(server.output.some((line) => line.includes('covers are placeholder images: ffmpeg is not installed')), server.output.join('\n'));

  const api = client(server.baseUrl);
  const author = await api.newUser('noffmpeg');
  const answer = await api.upload('/douyin/publish/action/', { token: author.token, title: 'no cover' }, { bytes: red });
  t.is(answer.body.status_code, 0);
  const video = (await api.get('/douyin/publish/list/', { token: author.token })).body.video_list[0];
  await new Promise((resolve) => setTimeout(resolve, 500));
  const cover = await fetch(video.cover_url);
  t.is(cover.headers.get('content-type'), 'image/png');
  t.is((await fetch(video.play_url)).status, 200);
});

test('after a crash, the next start removes the dead process\'s partial uploads and makes the covers it never made', async (t) => {
  const { store, red } = t.context;
  const dataDir = await mkdtemp(path.join(tmpdir(), 'douyin-crashed-'));
  t.teardown(() => removeDataDir(dataDir));
  const leftover = path.join(dataDir, 'media', '.tmp', `${hostname()}-4194304-${randomUUID()}`);
  await mkdir(leftover, { recursive: true });
  await writeFile(path.join(leftover, 'partial-upload'), red.subarray(0, 1000));
  await mkdir(path.join(dataDir, 'media', 'videos'), { recursive: true });
  await writeFile(path.join(dataDir, 'media', 'videos', '123456.mp4'), red);

  const server = await startServer({ MONGO_URL: `${store.url}${DB}`, DATA_DIR: dataDir, LOG_LEVEL: 'info' });
  t.teardown(() => server.stop());
  t.false(await stat(leftover).then(() => true, () => false), 'the partial upload is gone');
  const cover = path.join(dataDir, 'media', 'covers', '123456.jpg');
  for (let attempt = 0; attempt < 50 && !(await stat(cover).then(() => true, () => false)); attempt += 1) await new Promise((resolve) => setTimeout(resolve, 200));
  const image = await decodeImage(await readFile(cover), t.context.fixtures);
  t.deepEqual([image.width, image.height], [320, 240]);
});
