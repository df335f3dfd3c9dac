import type { Middleware } from 'koa';

export interface ReadinessCheck {
  name: string;
  /** Resolves true when the dependency answers; should give up within a few seconds. */
  ready(): Promise<boolean>;
}

/**
 * `/healthz`: the process is alive and serving (for restarts). `/readyz`: it can do its work, its
 * store and (when configured) Redis answer (for load balancers); 503 with the failing checks otherwise.
 */
export function health(checks: ReadinessCheck[]): Middleware {
  return async (ctx, next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    if (ctx.path === '/healthz') {
      ctx.body = { status: 'ok' };
      return;
    }
    if (ctx.path !== '/readyz') return next();
    const results = await Promise.all(checks.map(async (check) => [check.name, await check.ready().catch(() => false)] as const));
    const ready = results.every(([, ok]) => ok);
    ctx.status = ready ? 200 : 503;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: ready ? 'ready' : 'unavailable', checks: Object.fromEntries(results.map(([name, ok]) => [name, ok ? 'ok' : 'down'])) };
  };
}
