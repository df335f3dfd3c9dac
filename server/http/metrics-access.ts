import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';

/**
 * Headers a proxy adds. A request carrying one came through a proxy, so its socket's loopback
 * address (a proxy on this host) says nothing about the client; one that only pretends hurts no one
 * but itself.
 */
const FORWARDING_HEADERS = ['x-forwarded-for', 'forwarded', 'x-real-ip'] as const;

/**
 * Who may read /metrics: clients on this host (judged by the socket's address, never by
 * X-Forwarded-For, which TRUST_PROXY would let a client write) and, when `token` is set, whoever
 * sends it as a bearer token. Others get 403 (no token configured) or 401, with a body saying how
 * to get in. Returns whether the request may go on.
 */
export function metricsAccess(token: string | undefined): (ctx: Context) => boolean {
  const expected = token === undefined ? undefined : digest(token);
  return (ctx) => {
    if (expected && bearerMatches(ctx.get('authorization'), expected)) return true;
    if (isLocal(ctx)) return true;
    ctx.type = 'text/plain';
    ctx.set('Cache-Control', 'no-store');
    if (!expected) {
      ctx.status = 403;
      ctx.body = '/metrics is served to clients on this host only; set METRICS_TOKEN to scrape it from elsewhere (Authorization: Bearer <METRICS_TOKEN>)\n';
      return false;
    }
    ctx.status = 401;
    ctx.set('WWW-Authenticate', 'Bearer realm="metrics"');
    ctx.body = ctx.get('authorization') ? 'wrong metrics token\n' : '/metrics needs Authorization: Bearer <METRICS_TOKEN> from outside this host\n';
    return false;
  };
}

function isLocal(ctx: Context): boolean {
  if (FORWARDING_HEADERS.some((name) => ctx.get(name) !== '')) return false;
  return isLoopback(ctx.req.socket.remoteAddress ?? '');
}

export function isLoopback(address: string): boolean {
  return address === '::1' || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/i.test(address);
}

/** Digests of equal length, so the comparison takes the same time whatever was sent. */
function bearerMatches(header: string, expected: Buffer): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match !== null && timingSafeEqual(digest(match[1]!), expected);
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
