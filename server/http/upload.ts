import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { finished, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import type { Context } from 'koa';
import { Refusal } from '../../models/index.js';
import { isDiskFull } from '../../storage/disk-reserve.js';
import { CLIENT_CLOSED_REQUEST } from './envelope.js';
import { watchPace, type PaceWatch, type UploadPace } from './upload-pace.js';

export interface UploadedFile {
  /** A server-made temporary path; removed after the request unless the handler moved it. */
  path: string;
  size: number;
}

export interface UploadLimits {
  field: string;
  maxBytes: number;
  /** The least pace of the body; one silent for UPLOAD_IDLE_MS is cut whatever this says. */
  pace: UploadPace;
}

/** Counts the file's bytes as they are written (the room reserved for it on disk). */
export interface WrittenBytes {
  wrote(bytes: number): void;
}

/**
 * What must pass before a byte of the file is read, given the text fields sent before it and the
 * room the file may take (the body's Content-Length, at most the largest upload): the token, the
 * uploader's admission, room on disk. It may return a counter of the file's bytes.
 */
export type BeforeFile = (fields: Readonly<Record<string, string[]>>, expectedBytes: number) => Promise<WrittenBytes | void>;

/** The one file a multipart body may carry, where it is written, and what must pass before it is read. */
interface FileTarget {
  field: string;
  maxBytes: number;
  path: string;
  expectedBytes: number;
  beforeFile: BeforeFile;
  /** The body's pace, not judged while `beforeFile` runs (the server holds the body back meanwhile). */
  pace: PaceWatch;
}

/** Text fields of a multipart body, together: the 64 KiB limit of forms. */
const MAX_FIELD_BYTES = 64 * 1024;

/**
 * Streams a multipart body: text fields into `ctx.request.body`, the one file of `limits.field` to
 * `tempPath`. The file is counted while it streams and refused the moment it passes `maxBytes`; a
 * body too slow or silent is cut (408); a refused, failed or interrupted upload leaves no file
 * behind, and no file open.
 */
export async function receiveUpload(
  ctx: Context,
  limits: UploadLimits,
  tempPath: string,
  beforeFile: BeforeFile = async () => undefined,
): Promise<UploadedFile | undefined> {
  if (!ctx.is('multipart/form-data')) {
    throw new Refusal('BODY_REJECTED', `send multipart/form-data with the video in field ${limits.field}`);
  }
  if (Number(ctx.get('content-length')) > limits.maxBytes + 1024 * 1024) throw tooLarge(ctx, limits);
  // A body that stalls or trickles is answered 408 and its connection closed: its file and its room
  // are freed in seconds, not held for Node's five-minute request timeout.
  const cut = new AbortController();
  const pace = watchPace(ctx.req, limits.pace, (error) => {
    ctx.set('Connection', 'close');
    cut.abort(error);
  });
  try {
    const target = { field: limits.field, maxBytes: limits.maxBytes, path: tempPath, expectedBytes: expectedFileBytes(ctx, limits.maxBytes), beforeFile, pace };
    return await parse(ctx, target, cut.signal);
  } catch (error) {
    await rm(tempPath, { force: true });
    throw error;
  } finally {
    pace.stop();
  }
}

/** The most a body's file may take: its Content-Length, at most `maxBytes`; `maxBytes` without one (chunked). */
function expectedFileBytes(ctx: Context, maxBytes: number): number {
  const declared = Number(ctx.get('content-length'));
  return Number.isSafeInteger(declared) && declared > 0 ? Math.min(declared, maxBytes) : maxBytes;
}

/** Reads the text fields of a multipart body into `ctx.request.body`; a file part is refused unread, never written. */
export async function receiveFields(ctx: Context): Promise<void> {
  if (Number(ctx.get('content-length')) > MAX_FIELD_BYTES + 16 * 1024) throw bodyTooLarge(ctx); // room for part headers
  await parse(ctx, undefined);
}

/** Settles once the body is read and the file, if any, closed: nothing is left open when it rejects. */
function parse(ctx: Context, target: FileTarget | undefined, cut?: AbortSignal): Promise<UploadedFile | undefined> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: ctx.req.headers,
        limits: { files: target ? 1 : 0, fileSize: target?.maxBytes, fields: 50, fieldSize: MAX_FIELD_BYTES, parts: 60 },
      });
    } catch (error) {
      return reject(malformed(error));
    }
    const fields: Record<string, string[]> = Object.create(null);
    let fieldBytes = 0;
    let file: Promise<UploadedFile> | undefined;
    let failed = false;
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      // The rest of the body is read and dropped, so that the client, still sending, gets the answer
      // instead of a reset. Past the size limits the connection is closed after answering instead.
      ctx.req.unpipe(parser);
      ctx.req.resume();
      if (isDiskFull(error)) ctx.set('Connection', 'close'); // with no room, there is no point reading on
      // Destroying the parser destroys the file stream in progress too, which ends its pipeline and
      // closes the file. Not at once: busboy may be inside one of its own callbacks.
      process.nextTick(() => parser.destroy());
      const closed = file ?? Promise.resolve();
      closed.then(() => reject(error), () => reject(error));
    };

    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) return fail(new Refusal('BODY_REJECTED', `field ${name} is too long`));
      fieldBytes += Buffer.byteLength(value);
      if (fieldBytes > MAX_FIELD_BYTES) return fail(bodyTooLarge(ctx));
      (fields[name] ??= []).push(value);
    });
    parser.on('file', (name, stream) => {
      if (failed || !target || name !== target.field || file) {
        stream.destroy();
        return fail(unexpectedFile(name, target));
      }
      stream.once('limit', () => fail(tooLarge(ctx, target)));
      // Until it is piped, a refusal destroys it with an error that nothing else listens for.
      stream.on('error', () => undefined);
      // Not a byte is read (busboy waits) until the upload is admitted: its uploader when the token is
      // known by now, its room on disk in any case.
      file = target.pace.during(target.beforeFile(fields, target.expectedBytes)).then((written) =>
        failed ? Promise.reject(new Error('upload already refused')) : write(stream, target.path, written ?? undefined),
      );
      file.catch(fail);
    });
    parser.once('filesLimit', () => fail(unexpectedFile(undefined, target)));
    // `on`, not `once`: destroying the parser may emit another error.
    parser.on('error', (error) => fail(malformed(error)));
    parser.once('close', () => {
      if (failed) return;
      ctx.request.body = fields;
      (file ?? Promise.resolve(undefined)).then(resolve, fail);
    });
    finished(ctx.req, (error) => error && fail(Object.assign(new Error('upload interrupted by the client'), { status: CLIENT_CLOSED_REQUEST })));
    cut?.addEventListener('abort', () => fail(cut.reason), { once: true });
    ctx.req.pipe(parser);
  });
}

/** Streams a file part to `path`, counting its bytes. */
async function write(stream: Readable, path: string, written: WrittenBytes | undefined): Promise<UploadedFile> {
  let size = 0;
  stream.on('data', (chunk: Buffer) => {
    size += chunk.length;
    written?.wrote(chunk.length);
  });
  await pipeline(stream, createWriteStream(path, { flags: 'wx' }));
  return { path, size };
}

function unexpectedFile(name: string | undefined, target: FileTarget | undefined): Refusal {
  if (!target) return new Refusal('BODY_REJECTED', 'this endpoint accepts no file upload');
  if (name === undefined || name === target.field) return new Refusal('BODY_REJECTED', `send one file, in field ${target.field}`);
  return new Refusal('BODY_REJECTED', `unexpected file in field ${name}: send one file, in field ${target.field}`);
}

function malformed(error: unknown): Refusal {
  return new Refusal('BODY_REJECTED', `malformed multipart body: ${(error as Error).message}`);
}

function tooLarge(ctx: Context, limits: { maxBytes: number }): Refusal {
  ctx.set('Connection', 'close');
  return new Refusal('UPLOAD_TOO_LARGE', `video too large: at most ${Math.floor(limits.maxBytes / (1024 * 1024))} MiB`);
}

/** As koa-body refuses a form over its limit. */
function bodyTooLarge(ctx: Context): Error {
  ctx.set('Connection', 'close');
  return Object.assign(new Error('request body too large'), { status: 413 });
}
