import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';

/**
 * Gives every request an id (a client's own `X-Request-Id` when it is sane), returns it in the
 * `X-Request-Id` header, and logs one line per request with it; `ctx.state.log` carries it into
 * every log line written while answering.
 */
export function requestLog(logger: Logger): Middleware {
  return async (ctx, next) => {
    const incoming = ctx.get('x-request-id');
    const id = /^[\w.:-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    ctx.set('X-Request-Id', id);
    const log = logger.child({ reqId: id });
    ctx.state.log = log;
    const started = performance.now();
    try {
      await next();
    } finally {
      const ms = Math.round((performance.now() - started) * 10) / 10;
      log.info({ method: ctx.method, path: ctx.path, status: ctx.respond === false ? ctx.res.statusCode : ctx.status, ms }, 'request');
    }
  };
}
