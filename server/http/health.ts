import type { Middleware } from 'koa';

export interface ReadinessCheck {
  name: string;
  /** Resolves true when the dependency answers; should give up when `signal` aborts (it is not waited for after that). */
  ready(signal: AbortSignal, timeoutMs: number): Promise<boolean>;
}

/** How long /readyz waits for each dependency: one that has not answered by then is reported down. */
export const READINESS_TIMEOUT_MS = 2_000;

/**
 * `/healthz`: the process is alive and serving (for restarts). `/readyz`: it can do its work, its
 * store and (when configured) Redis and the media bucket answer (for load balancers); 503 with the
 * failing checks otherwise. Each check is a round trip to its dependency, so a frozen one (a process
 * stopped, a connection that still looks open) is reported down within `timeoutMs`.
 */
export function health(checks: ReadinessCheck[], timeoutMs = READINESS_TIMEOUT_MS): Middleware {
  return async (ctx, next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    if (ctx.path === '/healthz') {
      ctx.body = { status: 'ok' };
      return;
    }
    if (ctx.path !== '/readyz') return next();
    const results = await Promise.all(checks.map(async (check) => [check.name, await probe(check, timeoutMs)] as const));
    const ready = results.every(([, ok]) => ok);
    ctx.status = ready ? 200 : 503;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: ready ? 'ready' : 'unavailable', checks: Object.fromEntries(results.map(([name, ok]) => [name, ok ? 'ok' : 'down'])) };
  };
}

/** One check, answered false when it fails or has not answered within `timeoutMs`. */
export async function probe(check: ReadinessCheck, timeoutMs: number): Promise<boolean> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve(false);
    }, timeoutMs);
  });
  try {
    return await Promise.race([check.ready(controller.signal, timeoutMs).catch(() => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
