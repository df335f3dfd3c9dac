import { execFileSync, spawnSync } from 'node:child_process';
import { open, readdir, rm, stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import type { RunningStore } from '../server/store/embedded.js';
import { client } from './helpers/api.js';
import { removeDataDir, temporaryDir } from './helpers/dirs.js';
import { tinyVideo } from './helpers/media.js';
import { multipart, startUpload, type RawAnswer, type RawUpload } from './helpers/raw-upload.js';
import { startServer, type ServerProcess } from './helpers/server.js';
import { startTestStore } from './helpers/store.js';

/**
 * The attacks of issue 21 item 1 ("anonymous uploads fill the disk"), replayed against real server
 * processes: many uploads whose file comes before any token, uploads admitted at once on a small
 * file system, a file system that fills mid-upload, a trickling body.
 */
interface Context {
  store: RunningStore;
}
// One at a time: each starts a server process, and two of them time what they see.
const test = anyTest.serial as TestFn<Context>;

const MIB = 1024 * 1024;
const PUBLISH = '/douyin/publish/action/';

test.before(async (t) => {
  t.context = { store: await startTestStore() };
});

test.after.always(async (t) => {
  await t.context.store?.stop();
});

/** A server process on its own database of the shared store, stopped after the test. */
async function serverWith(t: ExecutionContext<Context>, env: Record<string, string>): Promise<ServerProcess> {
  const db = `budget_${Math.random().toString(36).slice(2, 10)}`;
  const server = await startServer({ MONGO_URL: `${t.context.store.url}${db}`, ...env });
  t.teardown(() => server.stop());
  return server;
}

/** The files under DATA_DIR/media/.tmp, where uploads in progress are written, with their sizes. */
async function spooled(dataDir: string): Promise<number[]> {
  const dir = path.join(dataDir, 'media', '.tmp');
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
  return Promise.all(files.map((file) => stat(file).then((info) => info.size, () => 0)));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean | Promise<boolean>, ms = 10_000): Promise<boolean> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(50)) if (await condition()) return true;
  return condition();
}

/** The answer if it comes within `ms`, else undefined. */
function answerWithin(upload: RawUpload, ms: number): Promise<RawAnswer | undefined> {
  return Promise.race([upload.answer, sleep(ms).then(() => undefined)]);
}

/** Sends `body` from `offset` in pieces of 256 KiB, stopping once the upload is answered, and ends it. */
async function sendRest(upload: RawUpload, body: Buffer, offset: number): Promise<void> {
  for (let at = offset; at < body.length && !upload.answered; at += 256 * 1024) await upload.write(body.subarray(at, at + 256 * 1024));
  upload.end();
}

test('uploads whose file comes before any token share a small budget, per address and in total: beyond it they are refused at once, unread; token-first publishes are not held back', async (t) => {
  const dataDir = temporaryDir('douyin-budget-');
  t.teardown(() => removeDataDir(dataDir));
  const server = await serverWith(t, { DATA_DIR: dataDir, MAX_UPLOAD_MB: '2', ANONYMOUS_UPLOAD_MB: '6', ANONYMOUS_UPLOAD_MB_PER_ADDRESS: '2', TRUST_PROXY: 'true' });
  const api = client(server.baseUrl);
  const head = multipart([{ name: 'title', value: 'data first' }, { name: 'data', filename: 'clip.mp4', bytes: 256 * 1024 }], false);
  const uploads: RawUpload[] = [];
  const from = (address: string, contentLength?: number) => {
    const upload = startUpload(server.baseUrl, PUBLISH, { contentLength, headers: { 'x-forwarded-for': address } });
    uploads.push(upload);
    return upload;
  };
  t.teardown(() => uploads.forEach((upload) => upload.destroy()));
  const assertRefusedUnread = (answer: RawAnswer | undefined, what: string) => {
    t.is(answer?.httpStatus, 429, what);
    t.is(answer?.body.status_code, 20006, what);
    t.regex(answer?.body.status_msg ?? '', /send the token before the file/, what);
    t.is(answer?.headers.connection, 'close', `${what}: the rest of the body is never read`);
  };

  // One address: a chunked upload holds the largest upload's size (2 MiB), all of that address's share.
  const first = from('203.0.113.7');
  await first.write(head);
  t.true(await waitFor(async () => (await spooled(dataDir)).length === 1), 'the first upload is written');
  const sameAddress = [from('203.0.113.7'), from('203.0.113.7')];
  await Promise.all(sameAddress.map((upload) => upload.write(head)));
  for (const upload of sameAddress) assertRefusedUnread(await answerWithin(upload, 5_000), 'a second upload from the same address');

  // Ten more addresses, 1.5 MiB each: all together hold at most 6 MiB (2 + 1.5 + 1.5), the rest are refused.
  const many = Array.from({ length: 10 }, (_, i) => from(`198.51.100.${i + 1}`, 1.5 * MIB));
  await Promise.all(many.map((upload) => upload.write(head)));
  await waitFor(() => many.filter((upload) => upload.answered).length >= 8, 5_000);
  await sleep(300); // any answer beyond the eight expected would come now
  const refused = many.filter((upload) => upload.answered);
  t.is(refused.length, 8, 'two of the ten are admitted');
  for (const upload of refused) assertRefusedUnread(await upload.answer, 'an upload beyond the total');
  await waitFor(async () => (await spooled(dataDir)).length >= 3, 2_000);
  const sizes = await spooled(dataDir);
  t.is(sizes.length, 3, 'only the admitted uploads are written');
  t.true(sizes.reduce((sum, size) => sum + size, 0) <= 6 * MIB, 'the spool holds no more than the budget');

  // A user who sends the token first is not held back by them.
  const clip = await tinyVideo();
  const author = await api.newUser('token_first');
  const published = await api.upload(PUBLISH, { token: author.token, title: 'token first' }, { bytes: clip });
  t.is(published.body.status_code, 0, 'a token-first publish goes through while the anonymous budget is spent');

  // Once they end, their share is free again: a camp client's publish (data, then token) goes through.
  uploads.forEach((upload) => upload.destroy());
  t.true(await waitFor(async () => (await spooled(dataDir)).length === 0), 'the cut uploads are removed');
  const body = multipart([{ name: 'title', value: 'data then token' }, { name: 'data', filename: 'clip.mp4', bytes: clip }, { name: 'token', value: author.token }]);
  const camp = from('203.0.113.7', body.length);
  await sendRest(camp, body, 0);
  t.like((await answerWithin(camp, 10_000))?.body, { status_code: 0 });
  t.is((await api.get('/douyin/publish/list/', { token: author.token })).body.video_list.length, 2);
});

test('a trickling upload (a byte every half second) is cut after its window: 408 with the envelope, and its file removed', async (t) => {
  const dataDir = temporaryDir('douyin-trickle-');
  t.teardown(() => removeDataDir(dataDir));
  const server = await serverWith(t, { DATA_DIR: dataDir, MAX_UPLOAD_MB: '1', UPLOAD_RATE_WINDOW_S: '2' });
  const { token } = await client(server.baseUrl).newUser('trickler');
  const upload = startUpload(server.baseUrl, PUBLISH, { contentLength: MIB });
  t.teardown(() => upload.destroy());
  await upload.write(multipart([{ name: 'token', value: token }, { name: 'title', value: 'slow' }, { name: 'data', filename: 'clip.mp4', bytes: 1 }], false));
  t.true(await waitFor(async () => (await spooled(dataDir)).length === 1), 'the upload is being written');
  const started = Date.now();
  void (async () => {
    while (!upload.answered && Date.now() - started < 30_000) {
      await upload.write(Buffer.from('a'));
      await sleep(500);
    }
  })();
  const answer = await answerWithin(upload, 20_000);
  const took = Date.now() - started;
  t.is(answer?.httpStatus, 408);
  t.is(answer?.body.status_code, 10004);
  t.regex(answer?.body.status_msg ?? '', /^upload too slow: \d+ bytes\/s over \d+ s, at least 1024 needed$/);
  t.is(answer?.headers.connection, 'close');
  t.true(took < 8_000, `cut after ${took} ms`);
  t.true(await waitFor(async () => (await spooled(dataDir)).length === 0), 'its file is removed');
  t.false(server.output.some((line) => line.includes('"level":50')), 'no server error');
});

/** Whether this process may mount a tmpfs (root, and a kernel and container that allow it). */
function canMountTmpfs(): boolean {
  if (process.getuid?.() !== 0) return false;
  const dir = temporaryDir('douyin-tmpfs-probe-');
  try {
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]).status !== 0) return false;
    spawnSync('umount', [dir]);
    return true;
  } finally {
    spawnSync('rmdir', [dir]);
  }
}

const onTmpfs = canMountTmpfs() ? test : test.skip;

/** A fresh tmpfs of `mib` MiB (a small file system that really fills), unmounted after the test. */
function tmpfs(t: ExecutionContext<Context>, mib: number): string {
  const dir = temporaryDir('douyin-tmpfs-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mib}m,mode=711`, 'tmpfs', dir]);
  // Registered first, so run last: after the server using it has stopped.
  t.teardown(async () => {
    spawnSync('umount', [dir]);
    await rm(dir, { recursive: true, force: true });
  });
  return dir;
}

async function freeBytes(dir: string): Promise<number> {
  const { bavail, bsize } = await statfs(dir);
  return bavail * bsize;
}

onTmpfs('uploads admitted at once each reserve their room until they end: together they never eat into MIN_FREE_DISK_MB (a 64 MiB tmpfs)', async (t) => {
  const dataDir = tmpfs(t, 64);
  const server = await serverWith(t, { DATA_DIR: dataDir, MAX_UPLOAD_MB: '16', MIN_FREE_DISK_MB: '16' });
  const api = client(server.baseUrl);
  const { token } = await api.newUser('reserver');
  // 10 MiB each: 48 MiB of room beyond the 16 MiB reserve holds four of them.
  const body = multipart([{ name: 'token', value: token }, { name: 'title', value: 'big' }, { name: 'data', filename: 'clip.mp4', bytes: 10 * MIB }]);
  const uploads = Array.from({ length: 8 }, () => startUpload(server.baseUrl, PUBLISH, { contentLength: body.length }));
  t.teardown(() => uploads.forEach((upload) => upload.destroy()));
  await Promise.all(uploads.map((upload) => upload.write(body.subarray(0, 64 * 1024))));
  await waitFor(() => uploads.filter((upload) => upload.answered).length >= 4, 5_000);
  await sleep(300);
  const refused = uploads.filter((upload) => upload.answered);
  t.is(refused.length, 4, 'four are admitted, four refused before their file is read');
  for (const upload of refused) {
    t.like((await upload.answer)?.body, { status_code: 50002, status_msg: 'the server has no room for more videos right now' });
  }

  let leastFree = await freeBytes(dataDir);
  const sampler = setInterval(() => void freeBytes(dataDir).then((free) => (leastFree = Math.min(leastFree, free))), 10);
  const admitted = uploads.filter((upload) => !upload.answered);
  await Promise.all(admitted.map((upload) => sendRest(upload, body, 64 * 1024)));
  const answers = await Promise.all(admitted.map((upload) => answerWithin(upload, 20_000)));
  clearInterval(sampler);
  for (const answer of answers) t.is(answer?.body.status_code, 10006, 'admitted, written in full, and refused only for not being a video');
  t.true(leastFree >= 16 * MIB, `the file system kept its reserve: ${(leastFree / MIB).toFixed(1)} MiB free at the least`);
  t.true(await waitFor(async () => (await spooled(dataDir)).length === 0), 'their files are removed');

  // Their room is theirs no more: a real clip is published.
  t.is((await api.upload(PUBLISH, { token, title: 'fits' }, { bytes: await tinyVideo() })).body.status_code, 0);
  t.false(server.output.some((line) => line.includes('"level":50')), 'no server error');
});

onTmpfs('a file system that fills while an upload is written: 50002, a warning in the log, and no file left (a 32 MiB tmpfs)', async (t) => {
  const dataDir = tmpfs(t, 32);
  const server = await serverWith(t, { DATA_DIR: dataDir, MAX_UPLOAD_MB: '16', MIN_FREE_DISK_MB: '0' });
  const api = client(server.baseUrl);
  const { token } = await api.newUser('filler');
  const body = multipart([{ name: 'token', value: token }, { name: 'title', value: 'no room' }, { name: 'data', filename: 'clip.mp4', bytes: 8 * MIB }]);
  const upload = startUpload(server.baseUrl, PUBLISH, { contentLength: body.length });
  t.teardown(() => upload.destroy());
  await upload.write(body.subarray(0, MIB));
  t.true(await waitFor(async () => (await spooled(dataDir)).length === 1), 'the upload is being written');

  // Something else on the machine takes the rest of the file system.
  const filler = path.join(dataDir, 'filler');
  const handle = await open(filler, 'w');
  try {
    for (;;) await handle.write(Buffer.alloc(MIB));
  } catch (error) {
    t.is((error as NodeJS.ErrnoException).code, 'ENOSPC');
  } finally {
    await handle.close();
  }
  await sendRest(upload, body, MIB);
  const answer = await answerWithin(upload, 10_000);
  t.is(answer?.httpStatus, 200);
  t.like(answer?.body, { status_code: 50002, status_msg: 'the server has no room for more videos right now' });
  t.true(await waitFor(async () => (await spooled(dataDir)).length === 0), 'no file left');
  t.true(await waitFor(() => server.output.some((line) => line.includes('"level":40') && line.includes('disk full'))), 'logged as a warning');
  t.false(server.output.some((line) => line.includes('"level":50')), 'not as an unexpected error');

  await rm(filler);
  t.is((await api.upload(PUBLISH, { token, title: 'room again' }, { bytes: await tinyVideo() })).body.status_code, 0);
});
