import type { Context } from 'koa';
import type { Logger } from 'pino';
import { Overloaded } from '../../models/deadline.js';
import { isStoreUnavailable, Refusal, Status, type StatusName } from '../../models/index.js';
import { isDiskFull } from '../../storage/disk-reserve.js';
import { MediaUnavailable } from '../../storage/media-storage.js';

export interface HttpRefusal {
  code: number;
  message: string;
  httpStatus: number;
}

/** What a 503 answer (a dependency unavailable, or too slow, or the process full) tells clients to wait before retrying. */
export const RETRY_AFTER_SECONDS = 2;

/** Answers `ctx` with the refusal's envelope and status; a 503 says when to retry. */
export function answerRefusal(ctx: Context, refusal: HttpRefusal, fields: Record<string, unknown> = {}): void {
  ctx.status = refusal.httpStatus;
  if (refusal.httpStatus === 503) ctx.set('Retry-After', String(RETRY_AFTER_SECONDS));
  ctx.body = refusalBody(refusal, fields);
}

export function successBody(fields: Record<string, unknown>) {
  return { status_code: Status.OK, status_msg: 'success', ...fields };
}

const serialized = new WeakMap<object, string>();

/**
 * JSON of an envelope whose frozen top-level values (views shared by many requests, such as the
 * anonymous first page of the feed) are serialized once and then reused.
 */
export function envelopeJson(body: Record<string, unknown>): string {
  const fields = Object.entries(body)
    .filter(([, value]) => value !== undefined) // as JSON.stringify leaves them out
    .map(([name, value]) => `${JSON.stringify(name)}:${jsonOf(value)}`);
  return `{${fields.join(',')}}`;
}

function jsonOf(value: unknown): string {
  if (typeof value !== 'object' || value === null || !Object.isFrozen(value)) return JSON.stringify(value);
  let json = serialized.get(value);
  if (json === undefined) serialized.set(value, (json = JSON.stringify(value)));
  return json;
}

export function refusalBody(refusal: HttpRefusal, fields: Record<string, unknown> = {}) {
  return { status_code: refusal.code, status_msg: refusal.message, ...fields };
}

/**
 * The refusals that are not business answers: a body that cannot be read is a protocol problem, and an
 * upload refused before its body is read is answered with a status that proxies and HTTP clients
 * understand as such.
 */
const REFUSAL_HTTP_STATUS: Partial<Record<StatusName, number>> = { BODY_REJECTED: 400, TOKEN_BEFORE_FILE: 429 };

/**
 * Maps anything thrown while answering to a refusal. Business refusals travel with HTTP 200 (clients
 * read status_code); protocol problems keep their HTTP status; internals are logged, never shown.
 */
export function toRefusal(error: unknown, logger: Logger): HttpRefusal {
  if (error instanceof Refusal) return { code: error.code, message: error.message, httpStatus: REFUSAL_HTTP_STATUS[error.status] ?? 200 };
  const clientErrorStatus = clientErrorStatusOf(error);
  if (clientErrorStatus) return fromClientError(clientErrorStatus, (error as Error).message);
  if (isDiskFull(error)) {
    logger.warn({ err: error }, 'disk full: upload refused');
    return { code: Status.STORAGE_FULL, message: new Refusal('STORAGE_FULL').message, httpStatus: 200 };
  }
  if (isStoreUnavailable(error)) {
    // A refusal at once is counted (requests_shed_total), not logged: it comes in floods.
    if (!(error instanceof Overloaded)) logger.warn({ err: error }, 'store unavailable');
    return { code: Status.STORE_UNAVAILABLE, message: new Refusal('STORE_UNAVAILABLE').message, httpStatus: 503 };
  }
  if (error instanceof MediaUnavailable) {
    logger.warn({ err: error }, 'media storage unavailable');
    return { code: Status.MEDIA_UNAVAILABLE, message: new Refusal('MEDIA_UNAVAILABLE').message, httpStatus: 503 };
  }
  logger.error({ err: error }, 'unexpected error');
  return { code: Status.INTERNAL_ERROR, message: 'internal error', httpStatus: 500 };
}

/** nginx's status for a request whose client went away before the answer: nobody reads it, the log does. */
export const CLIENT_CLOSED_REQUEST = 499;

/** The 4xx status of errors thrown by the HTTP layer (koa, the router, co-body), if any. */
function clientErrorStatusOf(error: unknown): number | undefined {
  if (!(error instanceof Error)) return undefined;
  const { status, httpCode } = error as { status?: unknown; httpCode?: unknown };
  const code = typeof status === 'number' ? status : httpCode;
  return typeof code === 'number' && code >= 400 && code < 500 ? code : undefined;
}

function fromClientError(status: number, message: string): HttpRefusal {
  switch (status) {
    case 404:
      return { code: Status.UNKNOWN_ENDPOINT, message: 'unknown endpoint', httpStatus: 404 };
    case 405:
      return { code: Status.METHOD_NOT_ALLOWED, message: message.toLowerCase(), httpStatus: 405 };
    case 408: // an upload too slow, or silent (upload-pace.ts): the message says which
      return { code: Status.BODY_REJECTED, message, httpStatus: 408 };
    case 413:
      return { code: Status.BODY_REJECTED, message: 'request body too large', httpStatus: 413 };
    case CLIENT_CLOSED_REQUEST:
      return { code: Status.BODY_REJECTED, message, httpStatus: CLIENT_CLOSED_REQUEST };
    default:
      return { code: Status.BODY_REJECTED, message: `malformed request body: ${message}`, httpStatus: status };
  }
}
