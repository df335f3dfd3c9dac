import { readFileSync } from 'node:fs';
import cors from '@koa/cors';
import Router from '@koa/router';
import Koa, { type Context, type Middleware } from 'koa';
import helmet from 'koa-helmet';
import { endpoints } from './endpoints/index.js';
import { assets, asset } from './http/assets.js';
import { webConsole } from './http/console.js';
import { health, type ReadinessCheck } from './http/health.js';
import { mountEndpoint, type Services } from './http/endpoint.js';
import { answerRefusal, toRefusal } from './http/envelope.js';
import { mediaFiles } from './http/media.js';
import { metricsAccess } from './http/metrics-access.js';
import { openApi, openApiDocument } from './http/openapi.js';
import { requestLog } from './http/request-log.js';
import type { Metrics } from './metrics.js';
import { PROJECT_ROOT } from './paths.js';

export interface HttpOptions {
  /** Origins allowed to call the API from a browser; `*` for any. */
  corsOrigins: string[];
  /**
   * How many reverse proxies in front append to X-Forwarded-For (0: none, headers ignored). The
   * client address (rate limits) is the hop the outermost one added, never one the client wrote;
   * scheme and host for URLs come from X-Forwarded-Proto and -Host.
   */
  trustProxy: number;
  /** What /readyz checks. */
  readiness: ReadinessCheck[];
  metrics: Metrics;
  /** A bearer token that opens /metrics to clients off this host (METRICS_TOKEN). */
  metricsToken: string | undefined;
  /** The gateway's URL as a browser on this request's host reaches it, for the web console. */
  realtimeUrl: (ctx: Context) => string;
}

export function createApp(services: Services, http: HttpOptions): Koa {
  const app = new Koa({ proxy: http.trustProxy > 0, maxIpsCount: http.trustProxy });
  app.silent = true; // errors are logged where they are handled, with the request id
  const router = new Router();
  for (const endpoint of endpoints) mountEndpoint(router, endpoint, services);

  app.use(http.metrics.middleware(metricsAccess(http.metricsToken)));
  app.use(requestLog(services.logger));
  app.use(helmet({ crossOriginResourcePolicy: { policy: 'cross-origin' }, contentSecurityPolicy: { directives: CONSOLE_POLICY } }));
  app.use(cors({ origin: (ctx) => corsOrigin(ctx.get('origin'), http.corsOrigins), exposeHeaders: ['X-Request-Id'] }));
  app.use(health(http.readiness));
  app.use(openApi(openApiDocument(endpoints, packageVersion())));
  app.use(webConsole(http.realtimeUrl));
  app.use(douyinEnvelope(services));
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: true, notImplemented: methodNotAllowed, methodNotAllowed }));
  app.use(assets());
  app.use(mediaFiles(services.media, asset('cover.png'), services.deadlines));
  return app;
}

/**
 * What the web console may load beyond its own origin: the gateway's websocket (another port), and
 * media from PUBLIC_URL or a bucket, which may be other hosts: hls.js fetches HLS segments itself and
 * plays them from a `blob:` MediaSource. No upgrade-insecure-requests: on a plain-http deployment (a
 * LAN address) it would turn the media and websocket URLs into https ones that fail.
 */
const CONSOLE_POLICY = {
  connectSrc: ["'self'", 'ws:', 'wss:', 'http:', 'https:'],
  mediaSrc: ["'self'", 'blob:', 'http:', 'https:'],
  imgSrc: ["'self'", 'data:', 'http:', 'https:'],
  upgradeInsecureRequests: null,
};

/** Under /douyin/, whatever no endpoint answered (unknown path, wrong method) still gets the JSON envelope. */
function douyinEnvelope(services: Services): Middleware {
  return async (ctx, next) => {
    if (!/^\/douyin(\/|$)/.test(ctx.path)) return next();
    try {
      await next();
      if (ctx.body === undefined) throw Object.assign(new Error('unknown endpoint'), { status: 404 });
    } catch (error) {
      answerRefusal(ctx, toRefusal(error, ctx.state.log ?? services.logger));
    }
  };
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(`${PROJECT_ROOT}package.json`, 'utf8')) as { version: string }).version;
}

function corsOrigin(origin: string, allowed: string[]): string {
  if (allowed.includes('*')) return '*';
  return allowed.includes(origin) ? origin : '';
}

function methodNotAllowed(): Error {
  return Object.assign(new Error('Method not allowed'), { status: 405 });
}
