import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import type { Context } from 'koa';
import { Refusal } from '../../models/index.js';

export interface UploadedFile {
  /** A server-made temporary path; removed after the request unless the handler moved it. */
  path: string;
  size: number;
}

export interface UploadLimits {
  field: string;
  maxBytes: number;
}

/**
 * Streams a multipart body: text fields into `ctx.request.body`, the one file of `limits.field` to
 * `tempPath`. The file is counted while it streams and refused the moment it passes `maxBytes`; a
 * refused, failed or interrupted upload leaves no file behind.
 */
export async function receiveUpload(ctx: Context, limits: UploadLimits, tempPath: string): Promise<UploadedFile | undefined> {
  if (!ctx.is('multipart/form-data')) {
    throw new Refusal('BODY_REJECTED', `send multipart/form-data with the video in field ${limits.field}`);
  }
  if (Number(ctx.get('content-length')) > limits.maxBytes + 1024 * 1024) throw tooLarge(ctx, limits);
  try {
    return await parse(ctx, limits, tempPath);
  } catch (error) {
    await rm(tempPath, { force: true });
    throw error;
  }
}

function parse(ctx: Context, limits: UploadLimits, tempPath: string): Promise<UploadedFile | undefined> {
  return new Promise((resolve, reject) => {
    const fields: Record<string, string[]> = Object.create(null);
    let file: Promise<UploadedFile> | undefined;
    let failed = false;
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      ctx.req.unpipe(parser);
      reject(error);
    };

    const parser = busboy({
      headers: ctx.req.headers,
      limits: { files: 1, fileSize: limits.maxBytes, fields: 50, fieldSize: 64 * 1024, parts: 60 },
    });
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) return fail(new Refusal('BODY_REJECTED', `field ${name} is too long`));
      (fields[name] ??= []).push(value);
    });
    parser.on('file', (name, stream) => {
      if (name !== limits.field || file) {
        stream.resume();
        return fail(new Refusal('BODY_REJECTED', `unexpected file in field ${name}: send one file, in field ${limits.field}`));
      }
      let size = 0;
      stream.on('data', (chunk: Buffer) => (size += chunk.length));
      stream.once('limit', () => fail(tooLarge(ctx, limits)));
      file = pipeline(stream, createWriteStream(tempPath, { flags: 'wx' })).then(() => ({ path: tempPath, size }));
      file.catch(fail);
    });
    parser.once('filesLimit', () => fail(new Refusal('BODY_REJECTED', `send one file, in field ${limits.field}`)));
    parser.once('error', (error) => fail(new Refusal('BODY_REJECTED', `malformed multipart body: ${(error as Error).message}`)));
    parser.once('close', () => {
      if (failed) return;
      ctx.request.body = fields;
      (file ?? Promise.resolve(undefined)).then(resolve, fail);
    });
    ctx.req.once('aborted', () => fail(new Error('upload interrupted by the client')));
    ctx.req.pipe(parser);
  });
}

function tooLarge(ctx: Context, limits: UploadLimits): Refusal {
  // The rest of the body is not read: close the connection after answering instead of draining it.
  ctx.set('Connection', 'close');
  return new Refusal('UPLOAD_TOO_LARGE', `video too large: at most ${Math.floor(limits.maxBytes / (1024 * 1024))} MiB`);
}
