import { rm } from 'node:fs/promises';
import type Router from '@koa/router';
import type { Context } from 'koa';
import { koaBody } from 'koa-body';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Deadlines } from '../../models/deadline.js';
import { Refusal, type Sessions } from '../../models/index.js';
import type { CoverMaker } from '../../storage/cover-maker.js';
import type { MediaStorage } from '../../storage/media-storage.js';
import type { RateLimits } from '../rate-limits.js';
import type { Transcoder } from '../transcoder.js';
import { resolveViewer } from './auth.js';
import { answerRefusal, envelopeJson, successBody, toRefusal } from './envelope.js';
import { requestBase } from './hosts.js';
import { collectParams } from './params.js';
import { describeIssue } from './schemas.js';
import { receiveFields, receiveUpload, type UploadedFile } from './upload.js';
import type { UploadBudget } from './upload-budget.js';
import type { UploadPace } from './upload-pace.js';

export type AuthMode = 'none' | 'optional' | 'required';
type Viewer<A extends AuthMode> = A extends 'required' ? number : A extends 'optional' ? number | undefined : undefined;

export interface Services {
  sessions: Sessions;
  logger: Logger;
  publicUrl: string | undefined;
  /** Host names whose requests' own scheme and host may build media URLs when PUBLIC_URL is unset. */
  allowedHosts: ReadonlySet<string>;
  media: MediaStorage;
  covers: CoverMaker;
  /** Processes uploads after the publish answer; undefined without ffmpeg (uploads are stored as they came). */
  transcoder: Transcoder | undefined;
  maxUploadBytes: number;
  /** The least pace of an upload's body. */
  uploadPace: UploadPace;
  /** Bytes that uploads whose token has not come yet may spool, in total and per address. */
  anonymousUploads: UploadBudget;
  requireFriendship: boolean;
  limits: RateLimits;
  /** The budget every request is answered within, and the bound on requests waiting at once. */
  deadlines: Deadlines;
  /** Formats a time as the `mm-dd` of comments, in the configured time zone. */
  formatDate: (epochMs: number) => string;
}

export interface HandlerInput<S extends z.ZodRawShape, A extends AuthMode> {
  params: z.output<z.ZodObject<S>>;
  viewerId: Viewer<A>;
  /** Base of absolute media URLs: PUBLIC_URL, or the scheme and host the request came to. */
  mediaBase: string;
  /** The token the request came with (query, form or Authorization header), when it has one. */
  token: string | undefined;
  /** The client's address (behind TRUST_PROXY proxies, the X-Forwarded-For hop the outermost added), for rate limits. */
  address: string;
  /** The file of an upload endpoint, at a temporary path the handler moves to keep it. */
  upload: UploadedFile | undefined;
  /** Aborted when the client goes away before its answer, or when the request's budget is spent. */
  signal: AbortSignal;
  services: Services;
}

/** One REST endpoint, declared: the shared machinery below does parsing, auth, validation and the envelope. */
export interface Endpoint<S extends z.ZodRawShape = z.ZodRawShape, A extends AuthMode = AuthMode> {
  method: 'GET' | 'POST';
  path: `/douyin/${string}/`;
  summary: string;
  auth: A;
  params: S;
  /**
   * For endpoints that take a file: the multipart field that holds it, and what admits an uploader
   * (rate limits). The token and these checks run before the file is read when the token comes first
   * (query, Authorization header, or a field before the file); a file that comes before its token
   * must fit in the budget of anonymous uploads instead. Either way the file's room on disk is
   * reserved before it is read, until the request ends.
   */
  upload?: { field: string; admit?: (viewerId: number, services: Services) => Promise<void> };
  /** The documented response fields with zero values, sent along with every refusal. */
  refusal: Record<string, unknown>;
  handler(input: HandlerInput<S, A>): Promise<Record<string, unknown>>;
}

export function defineEndpoint<S extends z.ZodRawShape, A extends AuthMode>(endpoint: Endpoint<S, A>): Endpoint<S, A> {
  return endpoint;
}

/** JSON and urlencoded bodies; multipart ones go to busboy (`receiveFields`), which never writes a file. */
const parseBody = koaBody({ text: false, jsonLimit: '64kb', formLimit: '64kb', multipart: false });

export function mountEndpoint(router: Router, endpoint: Endpoint, services: Services): void {
  const schema = z.object(endpoint.params);
  const { deadlines } = services;
  const route = async (ctx: Context) => {
    const tempPath = endpoint.upload && services.media.tempFile();
    const viewer = viewerOnce(endpoint, services);
    const holds: Array<() => void> = [];
    let anonymous: (() => void) | undefined;
    try {
      // The body is the client's time; the budget starts once it is read. An uploader's admission,
      // made while the body waits, has a budget of its own.
      const upload = endpoint.upload
        ? await receiveUpload(ctx, { field: endpoint.upload.field, maxBytes: services.maxUploadBytes, pace: services.uploadPace }, tempPath!, async (fields, expectedBytes) => {
          const token = firstOf(ctx.query.token) ?? bearerToken(ctx) ?? fields.token?.[0];
          if (token) await deadlines.run(() => viewer(token));
          else holds.push((anonymous = holdAnonymous(ctx, services.anonymousUploads, expectedBytes)));
          const room = await services.media.reserveRoom(expectedBytes);
          if (!room) throw new Refusal('STORAGE_FULL');
          holds.push(room.release);
          return room;
        })
        : await parseBodyOf(ctx);
      const result = await deadlines.run(async (deadline) => {
        const raw = collectParams(ctx);
        const token = raw.token ?? bearerToken(ctx);
        const viewerId = await viewer(token);
        anonymous?.(); // its uploader is known (and admitted) now
        const parsed = schema.safeParse(raw);
        if (!parsed.success) throw new Refusal('INVALID_PARAMETER', describeIssue(parsed.error));
        const mediaBase = services.publicUrl ?? requestBase(ctx, services.allowedHosts);
        let signal: AbortSignal | undefined;
        return endpoint.handler({
          params: parsed.data, viewerId, mediaBase, token, address: ctx.ip, upload, services,
          // Made for the handlers that ask (publishing): the listeners cost every request otherwise.
          get signal() {
            return (signal ??= clientGoneOr(ctx, deadline.signal));
          },
        });
      }, `${endpoint.method} ${endpoint.path}`);
      ctx.type = 'application/json';
      ctx.body = envelopeJson(successBody(result));
    } catch (error) {
      answerRefusal(ctx, toRefusal(error, ctx.state.log ?? services.logger), endpoint.refusal);
    } finally {
      if (tempPath) await rm(tempPath, { force: true });
      holds.forEach((release) => release()); // after the file is removed, or stored (the free space counts it then)
    }
  };
  // Registered without its trailing slash: the router then matches the path with or without it.
  router.register(endpoint.path.slice(0, -1), [endpoint.method], route);
}

/** Resolves the viewer (and admits an uploader) once per request, whenever the token is first known. */
function viewerOnce(endpoint: Endpoint, services: Services): (token: string | undefined) => Promise<number | undefined> {
  let viewer: Promise<number | undefined> | undefined;
  return (token) => (viewer ??= (async () => {
    const viewerId = await resolveViewer(endpoint.auth, token, services.sessions);
    if (viewerId !== undefined) await endpoint.upload?.admit?.(viewerId, services);
    return viewerId;
  })());
}

/** Holds an anonymous upload's room in the budget, or refuses it before its file is read (and closes the connection: it is never read). */
function holdAnonymous(ctx: Context, budget: UploadBudget, bytes: number): () => void {
  const release = budget.take(ctx.ip, bytes);
  if (release) return release;
  ctx.set('Connection', 'close');
  throw new Refusal('TOKEN_BEFORE_FILE');
}

/** Aborted when the client goes away before its answer, or when `deadline` aborts (the request's budget is spent). */
function clientGoneOr(ctx: Context, deadline: AbortSignal): AbortSignal {
  const controller = new AbortController();
  ctx.res.once('close', () => ctx.res.writableEnded || controller.abort(new Error('the client went away')));
  deadline.addEventListener('abort', () => controller.abort(deadline.reason), { once: true, signal: controller.signal });
  return controller.signal;
}

function firstOf(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

async function parseBodyOf(ctx: Context): Promise<undefined> {
  if (ctx.is('multipart/form-data')) await receiveFields(ctx);
  else await parseBody(ctx, async () => undefined);
  return undefined;
}

function bearerToken(ctx: Context): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(ctx.get('authorization'));
  return match?.[1];
}
