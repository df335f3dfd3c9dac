import path from 'node:path';
import type { Context, Middleware } from 'koa';
import type { Logger } from 'pino';
import send from 'send';
import type { Deadlines } from '../../models/deadline.js';
import { isStoreUnavailable } from '../../models/index.js';
import { contentTypeOf, isMediaKey, MediaUnavailable, type MediaLocation, type MediaStorage } from '../../storage/media-storage.js';
import { refusalBody, toRefusal } from './envelope.js';

const MEDIA_PATH = /^\/media\/((videos|covers)\/[^/]+|hls\/[0-9]+\/[^/]+)$/;

/**
 * Serves stored media under /media/: HTTP Range (206, 416), ETag and Last-Modified validators, content
 * type from the server-made extension. Media in a bucket is a redirect to where the bucket serves it.
 * Only well-formed keys are looked up, so no request can name a file outside the storage. A cover
 * that is not made yet answers with a placeholder that is not cached.
 */
export function mediaFiles(media: MediaStorage, placeholderCover: Buffer, deadlines: Deadlines): Middleware {
  return async (ctx, next) => {
    const match = MEDIA_PATH.exec(ctx.path);
    if (!match || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    const key = match[1]!;
    if (!isMediaKey(key)) return next();
    if (media.links && key.endsWith('.m3u8')) return sendPlaylist(ctx, media, key, deadlines);
    const location = await locate(ctx, media, key, deadlines);
    if (location === 'unavailable') return;
    if (location && 'file' in location) return sendFile(ctx, location.file, contentTypeOf(key));
    if (location) return redirect(ctx, key, location.url);
    if (match[2] === 'covers') {
      ctx.type = 'image/png';
      ctx.set('Cache-Control', 'no-store');
      ctx.body = placeholderCover;
    }
    // Otherwise fall through to a plain 404.
  };
}

/**
 * Where `key` is, within a request's budget; while the bucket cannot be reached (or the process is
 * full), answers 503 (the envelope, as REST does) and says so.
 */
async function locate(ctx: Context, media: MediaStorage, key: string, deadlines: Deadlines): Promise<MediaLocation | undefined | 'unavailable'> {
  return withinBudget(ctx, deadlines, (signal) => media.locate(key, signal));
}

async function withinBudget<T>(ctx: Context, deadlines: Deadlines, work: (signal: AbortSignal) => Promise<T>): Promise<T | 'unavailable'> {
  try {
    return await deadlines.run((deadline) => work(deadline.signal));
  } catch (error) {
    if (!(error instanceof MediaUnavailable) && !isStoreUnavailable(error)) throw error;
    const refusal = toRefusal(error, ctx.state.log as Logger);
    ctx.status = refusal.httpStatus;
    ctx.set('Retry-After', '5');
    ctx.body = refusalBody(refusal);
    return 'unavailable';
  }
}

/**
 * An HLS playlist of media in a bucket, served here: its segments are named relative to it, which a
 * client would resolve against the bucket without the signature a presigned link carries. Each
 * segment becomes the link the bucket serves it from; rendition playlists stay relative, to this route.
 */
async function sendPlaylist(ctx: Context, media: MediaStorage, key: string, deadlines: Deadlines): Promise<void> {
  const dir = key.slice(0, key.lastIndexOf('/') + 1);
  const playlist = await withinBudget(ctx, deadlines, async (signal) => {
    const text = (await media.read(key, signal))?.toString('utf8');
    if (text === undefined) return undefined;
    const lines = await Promise.all(text.split('\n').map((line) => (/^[^#\s][^/]*\.ts$/.test(line.trim()) ? media.links!.url(dir + line.trim()) : line)));
    return lines.join('\n');
  });
  if (playlist === 'unavailable' || playlist === undefined) return;
  ctx.type = contentTypeOf(key);
  // The links it holds work for at least half their lifetime (media-links.ts): a player reads it again after a while.
  ctx.set('Cache-Control', 'private, max-age=60');
  ctx.body = playlist;
}

/** A GET goes to where the bucket serves the key; a HEAD is answered here (a presigned GET URL does not take HEAD). */
function redirect(ctx: Context, key: string, url: string): void {
  if (ctx.method === 'HEAD') {
    ctx.status = 200;
    ctx.type = contentTypeOf(key);
    ctx.set('Cache-Control', 'no-store');
    return;
  }
  ctx.redirect(url);
}

function sendFile(ctx: Context, file: string, contentType: string): Promise<void> {
  ctx.respond = false; // `send` writes the response itself: ranges, 304s and 416s included
  ctx.res.statusCode = 200; // Koa's provisional 404 would make `send` skip its freshness check
  return new Promise((resolve) => {
    ctx.res.once('close', resolve);
    send(ctx.req, path.basename(file), { root: path.dirname(file), maxAge: '365d', immutable: true, dotfiles: 'deny' })
      .on('headers', (response) => response.setHeader('Content-Type', contentType))
      .on('error', (error: { status?: number }) => {
        ctx.res.statusCode = error.status ?? 500;
        ctx.res.end();
      })
      .pipe(ctx.res);
  });
}
