import type { Context, Middleware } from 'koa';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface MetricsSources {
  /** Sockets connected to this process's gateway. */
  sockets(): number;
  /** Requests and socket events being worked on (work that outlived its answer included). */
  pendingRequests(): number;
  storeUp(): Promise<boolean>;
  /** Absent when no Redis is configured (then there is no redis_up series). */
  redisUp?: () => Promise<boolean>;
}

/** The Prometheus metrics of one process, served at GET /metrics. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'REST and media request latency by route',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const delivered = new Counter({ name: 'realtime_events_delivered_total', help: 'Socket events emitted to users, by event', labelNames: ['event'] as const, registers: [registry] });
  const adapterPackets = new Counter({
    name: 'realtime_adapter_packets_received_total',
    help: 'Pub/sub messages the Socket.IO adapter received from Redis (each one is decoded by this process)',
    registers: [registry],
  });
  const storeCommands = new Counter({
    name: 'store_commands_total',
    help: 'Commands sent to the store, by command and collection (reads, writes, and the folding of counters)',
    labelNames: ['command', 'collection'] as const,
    registers: [registry],
  });
  const refusals = new Counter({ name: 'rate_limit_refusals_total', help: 'Requests and events refused by a rate limit, by limit', labelNames: ['limit'] as const, registers: [registry] });
  const shed = new Counter({ name: 'requests_shed_total', help: 'Requests and socket events refused at once because MAX_PENDING_REQUESTS were already running', registers: [registry] });
  const expired = new Counter({ name: 'requests_deadline_exceeded_total', help: 'Requests and socket events that failed once their budget (REQUEST_DEADLINE_MS) was spent', registers: [registry] });
  let sources: MetricsSources | undefined;
  new Gauge({ name: 'realtime_connected_sockets', help: 'Sockets connected to this process', registers: [registry], collect() { this.set(sources?.sockets() ?? 0); } });
  new Gauge({ name: 'requests_pending', help: 'Requests and socket events being worked on, work that outlived its deadline included (at most MAX_PENDING_REQUESTS)', registers: [registry], collect() { this.set(sources?.pendingRequests() ?? 0); } });
  new Gauge({ name: 'store_up', help: '1 when the store answers a ping', registers: [registry], async collect() { this.set((await sources?.storeUp()) ? 1 : 0); } });

  return {
    /** Tells the gauges where to read; called once the gateway runs. */
    observe(from: MetricsSources) {
      sources = from;
      const { redisUp } = from;
      if (!redisUp) return;
      new Gauge({ name: 'redis_up', help: '1 when the Redis adapter is connected and Redis answers a ping', registers: [registry], async collect() { this.set((await redisUp()) ? 1 : 0); } });
    },
    eventDelivered: (event: string) => delivered.inc({ event }),
    rateLimited: (limit: string) => refusals.inc({ limit }),
    requestShed: () => shed.inc(),
    deadlineExceeded: () => expired.inc(),
    adapterPacket: () => adapterPackets.inc(),
    storeCommand: (command: string, collection: string) => storeCommands.inc({ command, collection }),
    /** Times every request (first middleware) and answers GET /metrics to those `allowed` lets in (it answers the others). */
    middleware(allowed: (ctx: Context) => boolean): Middleware {
      return async (ctx, next) => {
        if (ctx.path === '/metrics' && ctx.method === 'GET') {
          if (!allowed(ctx)) return;
          ctx.type = registry.contentType;
          ctx.body = await registry.metrics();
          return;
        }
        const stop = httpDuration.startTimer();
        try {
          await next();
        } finally {
          const route = typeof ctx._matchedRoute === 'string' ? ctx._matchedRoute : ctx.path.startsWith('/media/') ? '/media' : 'other';
          stop({ method: ctx.method, route, status: ctx.respond === false ? ctx.res.statusCode : ctx.status });
        }
      };
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
