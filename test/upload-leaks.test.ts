import { mkdtemp, readdir, readlink, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import { startStack, type Stack } from './helpers/stack.js';

/**
 * Failed, interrupted and refused multipart bodies, replayed against a real server process: each
 * must close every file it opened and leave nothing on disk (issue 13, items 3 and 4).
 */
interface Context {
  stack: Stack;
  dataDir: string;
  /** The server's own TMPDIR (os.tmpdir() in the server), so that anything it leaves there is its. */
  serverTmp: string;
  token: string;
}
const test = anyTest.serial as TestFn<Context>;

const MIB = 1024 * 1024;
/** Sockets the server may still be closing, the store's pool growing by a connection or two. */
const FD_SLACK = 6;
const BOUNDARY = 'leak-boundary';

test.before(async (t) => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'douyin-leaks-'));
  const serverTmp = await mkdtemp(path.join(tmpdir(), 'douyin-leaks-tmpdir-'));
  const stack = await startStack('upload-leaks', { DATA_DIR: dataDir, TMPDIR: serverTmp, MAX_UPLOAD_MB: '1' });
  const { token } = await stack.api.newUser('leaky');
  t.context = { stack, dataDir, serverTmp, token };
});

test.after.always(async (t) => {
  await t.context.stack?.stop();
  for (const dir of [t.context.dataDir, t.context.serverTmp]) if (dir) await rm(dir, { recursive: true, force: true });
});

/** What the server process holds open (the targets of /proc/<pid>/fd) and has on disk. */
interface Snapshot {
  fds: string[];
  uploads: string[];
  tmp: string[];
}

async function snapshot(t: ExecutionContext<Context>): Promise<Snapshot> {
  const dir = `/proc/${t.context.stack.server.child.pid!}/fd`;
  const targets = await Promise.all((await readdir(dir)).map((name) => readlink(path.join(dir, name)).catch(() => undefined)));
  return {
    fds: targets.filter((target): target is string => target !== undefined),
    uploads: await uploadsInProgress(t),
    tmp: await readdir(t.context.serverTmp),
  };
}

/** Every file under DATA_DIR/media/.tmp, where uploads in progress are written. */
async function uploadsInProgress(t: ExecutionContext<Context>): Promise<string[]> {
  const dir = path.join(t.context.dataDir, 'media', '.tmp');
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const removedFiles = (fds: string[]) => fds.filter((fd) => fd.endsWith('(deleted)'));

/** Waits (a little) for the server to close what it opened, then checks nothing more is open or on disk than `before`. */
async function assertNoLeaks(t: ExecutionContext<Context>, before: Snapshot): Promise<void> {
  const settled = (now: Snapshot) => now.fds.length <= before.fds.length + FD_SLACK && removedFiles(now.fds).length <= removedFiles(before.fds).length &&
    now.uploads.length <= before.uploads.length;
  let now = await snapshot(t);
  for (let attempt = 0; attempt < 50 && !settled(now); attempt += 1) {
    await sleep(100);
    now = await snapshot(t);
  }
  const held = removedFiles(now.fds).filter((fd) => !before.fds.includes(fd));
  t.is(held.length, 0, `descriptors still open on removed files, such as ${held[0]}`);
  t.true(now.fds.length <= before.fds.length + FD_SLACK, `open descriptors back to the baseline: ${now.fds.length} now, ${before.fds.length} before`);
  t.deepEqual(now.uploads, before.uploads, 'no upload left in media/.tmp');
  t.deepEqual(now.tmp, before.tmp, "nothing left in the server's os.tmpdir()");
  t.is(t.context.stack.server.child.exitCode, null, 'the server still runs');
}

type Part = { name: string; value: string } | { name: string; filename: string; bytes: number };

/** The start of a multipart body: its parts, the last one (a file) left open unless `close`. */
function multipart(parts: Part[], close = true): Buffer {
  const pieces = parts.map((part, i) => {
    const last = i === parts.length - 1;
    if ('value' in part) return Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${part.name}"\r\n\r\n${part.value}\r\n`);
    const head = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${part.name}"; filename="${part.filename}"\r\nContent-Type: video/mp4\r\n\r\n`;
    return Buffer.concat([Buffer.from(head), Buffer.alloc(part.bytes, 0x61), Buffer.from(last && !close ? '' : '\r\n')]);
  });
  if (close) pieces.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(pieces);
}

interface Answer {
  httpStatus: number;
  body: { status_code: number; status_msg: string };
}

/**
 * POSTs `body` a chunk at a time (chunked when `contentLength` is not given), stops writing once an
 * answer arrives, and resolves with it.
 */
function post(t: ExecutionContext<Context>, urlPath: string, body: Buffer, contentLength?: number): Promise<Answer> {
  const headers: Record<string, string | number> = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` };
  if (contentLength !== undefined) headers['content-length'] = contentLength;
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(new URL(urlPath, t.context.stack.server.baseUrl), { method: 'POST', headers, agent: false }, (response) => {
      answered = true;
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.once('end', () => {
        try {
          resolve({ httpStatus: response.statusCode!, body: JSON.parse(text) as Answer['body'] });
        } catch {
          reject(new Error(`${urlPath} answered ${response.statusCode} with non-JSON: ${text.slice(0, 200)}`));
        }
      });
    });
    req.once('error', (error) => {
      if (!answered) reject(error);
    });
    void (async () => {
      for (let offset = 0; offset < body.length && !answered && !req.destroyed; offset += 64 * 1024) {
        await new Promise<void>((written) => req.write(body.subarray(offset, offset + 64 * 1024), () => written()));
      }
      if (!answered && !req.destroyed) req.end();
    })();
  });
}

test('uploads cut off mid-body close their file and remove it', async (t) => {
  const before = await snapshot(t);
  const head = multipart(
    [
      { name: 'token', value: t.context.token },
      { name: 'title', value: 'cut short' },
      { name: 'data', filename: 'clip.mp4', bytes: MIB / 2 },
    ],
    false,
  );
  const { port } = new URL(t.context.stack.server.baseUrl);
  const sockets: Socket[] = [];
  for (let i = 0; i < 50; i += 1) {
    const socket = connect(Number(port), '127.0.0.1');
    socket.on('error', () => {});
    socket.write(`POST /douyin/publish/action/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=${BOUNDARY}\r\nContent-Length: ${MIB + 4096}\r\n\r\n`);
    socket.write(head);
    sockets.push(socket);
  }
  // Every upload has reached the disk before its client goes away.
  for (let attempt = 0; attempt < 100 && (await uploadsInProgress(t)).length < before.uploads.length + 50; attempt += 1) await sleep(100);
  t.is((await uploadsInProgress(t)).length, before.uploads.length + 50, 'the 50 uploads were being written');
  await sleep(200);
  sockets.forEach((socket) => socket.destroy());
  await assertNoLeaks(t, before);
  const log = t.context.stack.server.output;
  const closedRequests = () => log.filter((line) => line.includes('"status":499')).length;
  // The request log lines reach this test through a pipe, possibly after the files were removed.
  for (const deadline = Date.now() + 2_000; closedRequests() < 50 && Date.now() < deadline;) await sleep(50);
  t.false(log.some((line) => line.includes('"level":50')), 'a client going away is no server error');
  t.true(closedRequests() >= 50, 'logged as 499, client closed request');
});

test('an upload that goes silent mid-body is cut after 30 s, answered 408, and leaves nothing (a slow client cannot hold files for minutes)', async (t) => {
  const before = await snapshot(t);
  const head = multipart([{ name: 'token', value: t.context.token }, { name: 'title', value: 'stalled' }, { name: 'data', filename: 'clip.mp4', bytes: MIB / 4 }], false);
  const socket = connect(Number(new URL(t.context.stack.server.baseUrl).port), '127.0.0.1');
  socket.on('error', () => {});
  let answer = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
  const closed = new Promise((resolve) => socket.once('close', resolve));
  socket.write(`POST /douyin/publish/action/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=${BOUNDARY}\r\nContent-Length: ${MIB}\r\n\r\n`);
  socket.write(head);
  for (let attempt = 0; attempt < 50 && (await uploadsInProgress(t)).length === before.uploads.length; attempt += 1) await sleep(100);
  t.is((await uploadsInProgress(t)).length, before.uploads.length + 1, 'the upload was being written');
  const started = Date.now();
  await closed;
  const silent = Date.now() - started;
  t.true(silent >= 25_000 && silent < 40_000, `closed by the server after ${silent} ms of silence`);
  t.regex(answer, /^HTTP\/1\.1 408 /, 'answered 408');
  t.regex(answer, /\r\nConnection: close\r\n/i);
  t.true(answer.endsWith('{"status_code":10004,"status_msg":"upload stalled: no data for 30 s"}'), `the envelope, in: ${answer.slice(-120)}`);
  await assertNoLeaks(t, before);
});

test('uploads over MAX_UPLOAD_MB, chunked or with a content-length, close their file and remove it', async (t) => {
  const before = await snapshot(t);
  const fields: Part[] = [
    { name: 'token', value: t.context.token },
    { name: 'title', value: 'too big' },
  ];
  const chunked = multipart([...fields, { name: 'data', filename: 'big.mp4', bytes: 3 * MIB }]);
  const declared = multipart([...fields, { name: 'data', filename: 'big.mp4', bytes: 1.5 * MIB }]);
  for (let i = 0; i < 10; i += 1) {
    for (const [body, length] of [[chunked, undefined], [declared, declared.length]] as const) {
      const { body: answer } = await post(t, '/douyin/publish/action/', body, length);
      t.is(answer.status_code, 10005);
      t.is(answer.status_msg, 'video too large: at most 1 MiB');
    }
  }
  await assertNoLeaks(t, before);
});

test('a file part sent to an endpoint that takes none is refused without being written', async (t) => {
  const before = await snapshot(t);
  const file: Part = { name: 'data', filename: 'payload.bin', bytes: 60 * 1024 };
  const requests: Array<[string, Part[]]> = [
    ['/douyin/user/register/', [{ name: 'username', value: 'no_files_please' }, { name: 'password', value: 'secret-1' }, file]],
    ['/douyin/user/login/', [{ name: 'username', value: 'no_files_please' }, { name: 'password', value: 'secret-1' }, file]],
    ['/douyin/comment/action/', [{ name: 'token', value: t.context.token }, { name: 'video_id', value: '1' }, { name: 'action_type', value: '1' }, file]],
  ];
  for (let i = 0; i < 10; i += 1) {
    for (const [urlPath, parts] of requests) {
      const body = multipart(parts);
      const { body: answer } = await post(t, urlPath, body, body.length);
      t.like(answer, { status_code: 10004, status_msg: 'this endpoint accepts no file upload' }, urlPath);
    }
  }
  await assertNoLeaks(t, before);
});

test('malformed bodies, a file in another field and a second file are refused and leave nothing open', async (t) => {
  const before = await snapshot(t);
  const fields: Part[] = [
    { name: 'token', value: t.context.token },
    { name: 'title', value: 'refused' },
  ];
  const clip: Part = { name: 'data', filename: 'clip.mp4', bytes: 256 * 1024 };
  const malformed = Buffer.concat([multipart([...fields, clip], false), Buffer.from(`\r\n--${BOUNDARY}\r\nno colon in this header\r\n\r\nx`)]);
  const cases: Array<[string, Buffer, RegExp]> = [
    ['malformed part header', malformed, /malformed multipart body/],
    ['cut-off body', multipart([...fields, clip], false), /malformed multipart body/],
    ['file in another field', multipart([...fields, { ...clip, name: 'video' }]), /unexpected file in field video/],
    ['second file', multipart([...fields, clip, { ...clip, filename: 'again.mp4' }]), /send one file, in field data/],
  ];
  for (let i = 0; i < 5; i += 1) {
    for (const [what, body, message] of cases) {
      const { httpStatus, body: answer } = await post(t, '/douyin/publish/action/', body, body.length);
      t.is(httpStatus, 400, what);
      t.is(answer.status_code, 10004, what);
      t.regex(answer.status_msg, message, what);
    }
  }
  await assertNoLeaks(t, before);
});
