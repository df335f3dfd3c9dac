import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from 'koa';
import type { Logger } from 'pino';
import { createDeadlines, OVERDUE_MS } from '../models/deadline.js';
import { sizeOwnerLists, closeDatabase, createSessions, linkMediaThrough, openDatabase, pingDatabase, storeCommands, videos } from '../models/index.js';
import { defaultConnectionCeiling, openFilesLimit } from '../realtime/descriptors.js';
import type { RedisTarget } from '../realtime/redis-connection.js';
import { startGateway, type Gateway } from '../realtime/gateway.js';
import { CoverMaker } from '../storage/cover-maker.js';
import { ffmpegStatus } from '../storage/covers.js';
import { missingLimits } from '../storage/ffmpeg-run.js';
import { mediaIdOf, type MediaStorage } from '../storage/media-storage.js';
import { sweepOrphansEvery } from '../storage/orphan-sweep.js';
import { createApp, type HttpOptions } from './app.js';
import { relayCacheChanges } from './cache-relay.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { answerParserErrors } from './http/client-errors.js';
import { monthDayFormatter } from './http/dates.js';
import { ownHostNames, requestHostName } from './http/hosts.js';
import type { ReadinessCheck } from './http/health.js';
import { UploadBudget } from './http/upload-budget.js';
import { jwtSecret } from './jwt-secret.js';
import { createLogger } from './logger.js';
import { openMediaStorage } from './media-storage.js';
import { createMetrics } from './metrics.js';
import { createRateLimits } from './rate-limits.js';
import { announceStore } from './store/address-file.js';
import { startEmbeddedStore } from './store/embedded.js';
import { superviseStore } from './store/supervisor.js';
import { Transcoder } from './transcoder.js';
import { startDemoWorld, wantsDemoWorld } from './world/demo.js';

const MIB = 1024 * 1024;

/** Steps to undo at shutdown, most recent first, each named for the log. */
const cleanups: Array<{ what: string; run: () => Promise<unknown> }> = [];
/** The step shutdown is waiting for, if any. */
let undoing: string | undefined;

function atShutdown(what: string, run: () => Promise<unknown>): void {
  cleanups.unshift({ what, run });
}

/** How long a start waits for Redis before it serves without hearing the other processes' cache changes. */
const RELAY_JOIN_MS = 5_000;

async function joinCacheRelay(redis: RedisTarget, logger: Logger): Promise<void> {
  const relay = relayCacheChanges(redis, logger);
  atShutdown('the cache relay\'s Redis connections', () => relay.close());
  const joined = await Promise.race([relay.joined.then(() => true), sleep(RELAY_JOIN_MS, false, { ref: false })]);
  if (!joined) logger.warn(`Redis not reached within ${RELAY_JOIN_MS / 1000} s: serving without the other processes' cache changes until it is (caches expire on their own)`);
}

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  const { secret, source } = await jwtSecret(config.JWT_SECRET, config.DATA_DIR);
  if (!config.JWT_SECRET) logger.info(`JWT_SECRET is not set: tokens are signed with the random secret kept in ${source} (NODE_ENV=production requires JWT_SECRET)`);
  onShutdown(logger, config.SHUTDOWN_DEADLINE_MS);

  sizeOwnerLists({ shelf: config.OWNER_SHELF_SIZE, maxEntries: config.OWNER_LIST_MAX_ENTRIES });
  await openDatabase(await databaseUrl(config, logger), { monitorCommands: true });
  atShutdown('the store connection', closeDatabase);

  const media = await openMediaStorage(config);
  atShutdown('media storage', () => media.close());
  linkMediaThrough(media.links);
  logger.info(`media: ${media.description}`);
  const sweep = sweepOrphanMedia(media, config.ORPHAN_MEDIA_AGE_S * 1000, logger);
  atShutdown('the sweep of media without a record', async () => sweep.stop());
  const covers = await coverMaker(media, logger, sweep.first);
  atShutdown('covers being made', () => covers.stop());
  // Without ffmpeg (covers.enabled tells) uploads are stored and played as they came.
  const transcoder = covers.enabled ? new Transcoder({ media, concurrency: config.TRANSCODE_CONCURRENCY, logger }) : undefined;
  if (transcoder) for (const bound of await missingLimits()) logger.warn(`ffmpeg runs without a bound on ${bound}`);
  if (transcoder) atShutdown('videos being processed', () => transcoder.stop());

  const redis = config.REDIS_URL ? { urls: config.REDIS_URL, cluster: config.REDIS_CLUSTER === 'on' } : undefined;
  if (redis) await joinCacheRelay(redis, logger);

  const sessions = createSessions(secret, config.TOKEN_TTL);
  const formatDate = monthDayFormatter(config.TIME_ZONE);
  const metrics = createMetrics();
  storeCommands.on('command', metrics.storeCommand);
  const limits = createRateLimits({
    redis,
    enabled: config.RATE_LIMITS === 'on',
    points: { likesPerUser: config.LIKES_PER_MINUTE, followsPerUser: config.FOLLOWS_PER_MINUTE },
    repeatWindowS: config.NOTIFICATION_REPEAT_WINDOW_S,
    onRefusal: metrics.rateLimited,
  });
  atShutdown('the rate limits\' Redis connection', () => limits.close());
  const deadlines = createDeadlines({
    budgetMs: config.REQUEST_DEADLINE_MS,
    maxPending: config.MAX_PENDING_REQUESTS,
    onShed: metrics.requestShed,
    onExpired: metrics.deadlineExceeded,
    onOverdue: (label) => logger.warn({ request: label }, `a request's work is still running ${OVERDUE_MS / 1000} s after its deadline: a dependency never answered it`),
  });
  let gateway: Gateway | undefined;
  const readiness: ReadinessCheck[] = [{ name: 'store', ready: (_signal, timeoutMs) => pingDatabase(timeoutMs) }];
  if (redis) readiness.push({ name: 'redis', ready: async () => gateway?.redisReady() ?? false });
  if (media.ready) readiness.push({ name: 'media', ready: (signal) => media.ready!(signal) });
  let realtimePort = config.REALTIME_PORT;
  const allowedHosts = new Set(config.ALLOWED_HOSTS ?? ownHostNames());
  const realtimeUrl = (ctx: Context) => config.PUBLIC_REALTIME_URL ?? `${ctx.protocol}://${requestHostName(ctx, allowedHosts)}:${realtimePort}`;
  const rest = await listenRest(config, { readiness, metrics, realtimeUrl }, {
    sessions, logger, media, covers, transcoder, formatDate, limits, deadlines,
    publicUrl: config.PUBLIC_URL,
    allowedHosts,
    maxUploadBytes: config.MAX_UPLOAD_MB * MIB,
    uploadPace: { minBytesPerSecond: config.UPLOAD_MIN_BYTES_PER_S, windowMs: config.UPLOAD_RATE_WINDOW_S * 1000 },
    anonymousUploads: new UploadBudget(config.ANONYMOUS_UPLOAD_MB * MIB, config.ANONYMOUS_UPLOAD_MB_PER_ADDRESS * MIB),
    requireFriendship: config.CHAT_REQUIRES_FRIENDSHIP,
  });

  const realtime = await startGateway({
    host: config.HOST,
    port: config.REALTIME_PORT,
    transport: config.REALTIME_TRANSPORT,
    redis,
    redisAdapter: config.REDIS_ADAPTER,
    sessions, logger, formatDate, deadlines,
    messageLimit: limits.messagesPerUser,
    notificationRepeats: limits.repeats,
    typingWindow: limits.typing,
    corsOrigins: config.CORS_ORIGINS,
    requireFriendship: config.CHAT_REQUIRES_FRIENDSHIP,
    publicUrl: config.PUBLIC_URL,
    fallbackMediaBase: rest.localUrl,
    onDelivered: metrics.eventDelivered,
    onRateLimited: metrics.rateLimited,
    onAdapterPacket: metrics.adapterPacket,
    maxConnections: config.REALTIME_MAX_CONNECTIONS ?? defaultConnectionCeiling(),
    // A per-address limit like the others: off with them, for load tests from one address.
    maxUnauthenticatedPerAddress: config.RATE_LIMITS === 'on' ? config.REALTIME_UNAUTHENTICATED_PER_ADDRESS : Number.POSITIVE_INFINITY,
    handshakeTimeoutMs: config.REALTIME_HANDSHAKE_TIMEOUT_MS,
    trustProxy: config.TRUST_PROXY,
  });
  gateway = realtime;
  realtimePort = realtime.port;
  metrics.observe({
    sockets: realtime.socketCount,
    pendingRequests: deadlines.pending,
    storeUp: () => pingDatabase(),
    ...(redis ? { redisUp: () => realtime.redisReady() } : {}),
  });
  // At shutdown the gateway goes first (clients reconnect elsewhere), then REST finishes its requests.
  atShutdown('REST requests in progress', () => new Promise((resolve) => rest.server.close(resolve)));
  atShutdown('the realtime gateway', () => realtime.close());
  const scaling = redis ? `${config.REDIS_ADAPTER} Redis adapter${redis.cluster ? ' on a Redis Cluster' : ''}: events reach sockets on every process` : 'in-memory adapter: one process';
  const transport = realtime.uwsPackage ? `uws from ${realtime.uwsPackage}` : realtime.transport;
  logger.info({ port: realtime.port, transport: realtime.transport, uwsPackage: realtime.uwsPackage }, `realtime gateway listening on ws://${config.HOST}:${realtime.port} (${transport}, ${scaling})`);
  if (config.HOST_DEFAULTED && config.NODE_ENV !== 'production') logger.info(`listening on ${config.HOST} only (the default outside production): set HOST=0.0.0.0 to serve other machines`);
  logger.info(`realtime gateway holds at most ${realtime.maxConnections} connections (${config.REALTIME_MAX_CONNECTIONS ? 'REALTIME_MAX_CONNECTIONS' : `three quarters of the open-files limit, ${openFilesLimit() ?? 'unknown'}`}), ${config.RATE_LIMITS === 'on' ? config.REALTIME_UNAUTHENTICATED_PER_ADDRESS : 'any number'} not authenticated per address, each for ${config.REALTIME_HANDSHAKE_TIMEOUT_MS} ms`);
  logger.info({ port: rest.port }, `REST API listening on http://${config.HOST}:${rest.port}/douyin/ (web console at /)`);
  // After the gateway: what a job reports reaches its author's sockets.
  transcoder?.start();
  if (wantsDemoWorld(config)) {
    const demo = startDemoWorld({ media, timeZone: config.TIME_ZONE, logger, ffmpeg: covers.enabled, consoleUrl: `${rest.localUrl}/` });
    atShutdown('the demo world', () => demo.stop());
  }
}

async function databaseUrl(config: Config, logger: Logger): Promise<string> {
  if (config.MONGO_URL) return config.MONGO_URL;
  const start = (port: number) => startEmbeddedStore({ mode: config.EMBEDDED_STORE, dataDir: config.DATA_DIR, clustersDir: config.EMBEDDED_CLUSTERS_DIR, port }, logger);
  const store = await superviseStore(start, config.STORE_PORT, logger, (reason) => void giveUp(reason, logger));
  atShutdown('the embedded store', () => store.stop());
  logger.info({ store: store.description, url: store.url }, `store: ${store.description}`);
  const url = `${store.url}douyin`;
  atShutdown('the store address file', await announceStore(config.DATA_DIR, url));
  return url;
}

/** Removes media without a record, at start and then hourly (more often when the age is shorter). */
function sweepOrphanMedia(media: MediaStorage, olderThanMs: number, logger: Logger) {
  const age = olderThanMs % 3_600_000 === 0 ? `${olderThanMs / 3_600_000} h` : `${olderThanMs / 1000} s`;
  return sweepOrphansEvery(Math.min(olderThanMs, 3_600_000), { media, recorded: (ids) => videos.recordedAmong(ids), olderThanMs }, (outcome) => {
    if (outcome instanceof Error) logger.warn({ err: outcome }, 'could not sweep media without a record: trying again later');
    else if (outcome > 0) logger.info(`removed ${outcome} media objects without a video record, older than ${age}`);
  });
}

/** `orphansSwept`: covers are made for stored videos once those without a record are gone. */
async function coverMaker(media: MediaStorage, logger: Logger, orphansSwept: Promise<void>): Promise<CoverMaker> {
  const ffmpeg = await ffmpegStatus();
  if (!ffmpeg.available) logger.warn(`covers are placeholder images: ${ffmpeg.reason} (apt-get install ffmpeg)`);
  const onError = (error: unknown, videoKey: string) => logger.error({ err: error, videoKey }, 'cover extraction failed');
  // Clears coverPending, which only media served from elsewhere sets (publish-action.ts).
  const onMade = media.links ? (videoKey: string) => videos.coverMade(mediaIdOf(videoKey)!) : undefined;
  const covers = new CoverMaker(media, ffmpeg.available, onError, onMade);
  if (ffmpeg.available) {
    orphansSwept.then(() => covers.catchUp()).then(
      (count) => count > 0 && logger.info(`making ${count} covers that were never made`),
      (error: unknown) => logger.warn({ err: error }, 'could not look for covers that were never made'),
    );
  }
  return covers;
}

async function listenRest(
  config: Config,
  observability: Pick<HttpOptions, 'readiness' | 'metrics' | 'realtimeUrl'>,
  services: Parameters<typeof createApp>[0],
): Promise<{ server: Server; port: number; localUrl: string }> {
  const http = { corsOrigins: config.CORS_ORIGINS, trustProxy: config.TRUST_PROXY, metricsToken: config.METRICS_TOKEN, ...observability };
  const server = createApp(services, http).listen(config.PORT, config.HOST);
  answerParserErrors(server);
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return { server, port, localUrl: `http://${config.HOST === '0.0.0.0' ? 'localhost' : config.HOST}:${port}` };
}

/**
 * SIGTERM/SIGINT: undo every step in reverse, then exit. Each step bounds its own waiting (requests
 * by their budget, Redis by a bounded QUIT); the deadline is for what nothing else bounds, so that a
 * supervisor never waits on a process that said it was stopping.
 */
function onShutdown(logger: Logger, deadlineMs: number): void {
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      const waitingFor = undoing ?? 'open handles after every step was undone';
      logger.error({ waitingFor, deadlineMs }, `shutdown did not finish within ${deadlineMs} ms (SHUTDOWN_DEADLINE_MS), still waiting for ${waitingFor}: exiting with code 1`);
      process.exit(1);
    }, deadlineMs);
    await runCleanups();
    logger.info('stopped');
    deadline.unref(); // the process ends once nothing else holds it, or at the deadline
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

/** A dependency this process cannot do without is gone for good: stop, and exit non-zero so that a supervisor acts. */
async function giveUp(reason: string, logger: Logger): Promise<never> {
  logger.fatal(`${reason}: exiting`);
  setTimeout(() => process.exit(1), 10_000).unref(); // whatever the steps undone wait for
  await runCleanups();
  process.exit(1);
}

async function runCleanups(): Promise<void> {
  for (const { what, run } of cleanups.splice(0)) {
    undoing = what;
    await run().catch(() => undefined);
  }
  undoing = undefined;
}

main().catch(async (error: unknown) => {
  if (error instanceof ConfigError) console.error(error.message);
  else console.error('Failed to start:', error);
  await runCleanups(); // an embedded store already started must not outlive us
  process.exit(1);
});
