import path from 'node:path';
import { z } from 'zod';

const port = (fallback: number) =>
  z.coerce.number().int().min(0).max(65535).default(fallback);

const duration = z
  .string()
  .regex(/^\d+[smhd]?$/, 'must be a number of seconds or a number followed by s, m, h or d')
  .transform(toSeconds)
  .refine((s) => s >= 60, 'must be at least one minute');

const redisUrl = z.url({ protocol: /^rediss?$/ });

const environment = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /** Unset: loopback outside production (the demo account's password is published), every address in production. */
  HOST: z.string().min(1).optional(),
  PORT: port(8080),
  REALTIME_PORT: port(8081),
  REALTIME_TRANSPORT: z.enum(['auto', 'uws', 'node']).default('auto'),
  MONGO_URL: z.url({ protocol: /^mongodb(\+srv)?$/, error: 'must be a mongodb:// or mongodb+srv:// URL' }).optional(),
  EMBEDDED_STORE: z.enum(['auto', 'mongod', 'postgresql', 'sqlite']).default('auto'),
  STORE_PORT: port(0),
  /** Run as root with a DATA_DIR the user postgres cannot reach: where its PostgreSQL cluster is kept instead (server/store/cluster-place.ts). */
  EMBEDDED_CLUSTERS_DIR: z.string().refine((dir) => path.isAbsolute(dir), 'must be an absolute path').default('/var/lib/douyin'),
  /** One Redis server's URL, or with REDIS_CLUSTER=on one or more (comma-separated) nodes of a cluster. */
  REDIS_URL: z
    .string()
    .optional()
    .transform((value) => value?.split(',').map((url) => url.trim()))
    .refine((urls) => !urls || urls.every((url) => redisUrl.safeParse(url).success), 'must be a redis:// or rediss:// URL (with REDIS_CLUSTER=on, a comma-separated list of them)'),
  REDIS_CLUSTER: z.enum(['on', 'off'], { error: 'must be on or off' }).default('off'),
  /** Which Socket.IO Redis adapter carries events between processes (realtime/adapter.ts). */
  REDIS_ADAPTER: z.enum(['sharded', 'classic'], { error: 'must be sharded or classic' }).default('sharded'),
  DATA_DIR: z.string().min(1).default('./data'),
  MAX_UPLOAD_MB: z.coerce.number().int().min(1).max(4096).default(100),
  MIN_FREE_DISK_MB: z.coerce.number().int().min(0).default(1024),
  /** MiB that uploads whose file comes before their token may hold at once, in total; unset: 4 × MAX_UPLOAD_MB. */
  ANONYMOUS_UPLOAD_MB: z.coerce.number().int().min(0).max(1024 * 1024).optional(),
  /** The same from one client address; unset: MAX_UPLOAD_MB. */
  ANONYMOUS_UPLOAD_MB_PER_ADDRESS: z.coerce.number().int().min(0).max(1024 * 1024).optional(),
  /** Bytes a second an upload's body must average over each UPLOAD_RATE_WINDOW_S; 0: no minimum. */
  UPLOAD_MIN_BYTES_PER_S: z.coerce.number().int().min(0).max(1024 * 1024 * 1024).default(1024),
  UPLOAD_RATE_WINDOW_S: z.coerce.number().int().min(1).max(120).default(20),
  /** Videos and covers without a video record are removed once older than this (storage/orphan-sweep.ts). */
  ORPHAN_MEDIA_AGE_S: z.coerce.number({ error: 'must be a number of seconds' }).int('must be a whole number of seconds').min(1, 'must be at least 1').max(30 * 86_400, 'must be at most 2592000 (30 days)').default(3600),
  /** Processing jobs (transcoding) this process runs at once; 0: it leaves them to other processes. */
  TRANSCODE_CONCURRENCY: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must be 0 or more').max(16, 'must be at most 16').default(1),
  MEDIA_STORAGE: z.enum(['local', 's3'], { error: 'must be local or s3' }).default('local'),
  S3_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name (3-63 lower-case letters, digits, dots, hyphens)').optional(),
  S3_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
  S3_PRESIGN_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
  S3_REGION: z.string().regex(/^[a-z0-9-]+$/, 'must be a region name such as us-east-1').default('us-east-1'),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  S3_FORCE_PATH_STYLE: z.enum(['true', 'false'], { error: 'must be true or false' }).optional(),
  S3_PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
  S3_URL_TTL: duration.refine((s) => s <= 7 * 86400, 'must be at most 7 days (the longest a presigned URL can live)').default(3600),
  PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
  /** Host names a request may carry for the URLs built from it; unset: this machine's own names and addresses. */
  ALLOWED_HOSTS: z
    .string()
    .optional()
    .transform((value) => value?.split(',').map((name) => name.trim().toLowerCase()).filter(Boolean))
    .refine((names) => !names || names.every((name) => /^[\w.-]+$|^\[[0-9a-f:.]+\]$/i.test(name)), 'must be a comma-separated list of host names without ports'),
  PUBLIC_REALTIME_URL: z.url({ protocol: /^(https?|wss?)$/, error: 'must be an http(s):// or ws(s):// URL' }).optional(),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  TOKEN_TTL: duration.default(7 * 24 * 3600),
  CHAT_REQUIRES_FRIENDSHIP: z
    .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
    .default('false')
    .transform((value) => value === 'true' || value === '1'),
  TIME_ZONE: z
    .string()
    .refine(isTimeZone, 'must be an IANA time zone such as Asia/Shanghai or UTC')
    .default(Intl.DateTimeFormat().resolvedOptions().timeZone),
  CORS_ORIGINS: z
    .string()
    .default('*')
    .transform((value) => value.split(',').map((origin) => origin.trim()).filter(Boolean))
    .refine((origins) => origins.every((origin) => origin === '*' || /^https?:\/\/[^/]+$/.test(origin)), 'must be * or a comma-separated list of origins like https://app.example.com'),
  /** Opens /metrics to clients off this host that send it as a bearer token (server/http/metrics-access.ts). */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').regex(/^\S+$/, 'must not contain white space').optional(),
  /** How many reverse proxies in front of the server append to X-Forwarded-For: only their hops are believed. */
  TRUST_PROXY: z
    .string()
    .regex(/^(true|false|[0-9])$/, 'must be true (one proxy), false, or the number of proxies in front of the server (0-9)')
    .default('false')
    .transform((value) => (value === 'true' ? 1 : value === 'false' ? 0 : Number(value))),
  RATE_LIMITS: z.enum(['on', 'off'], { error: 'must be on or off' }).default('on'),
  /** Likes and unlikes one user may send a minute (server/rate-limits.ts). */
  LIKES_PER_MINUTE: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(100_000, 'must be at most 100000').default(60),
  /** Follows and unfollows one user may send a minute. */
  FOLLOWS_PER_MINUTE: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(100_000, 'must be at most 100000').default(30),
  /** A like or follow of the same target again within this many seconds of its last push is stored but not pushed; 0: push each. */
  NOTIFICATION_REPEAT_WINDOW_S: z.coerce.number({ error: 'must be a number of seconds' }).int('must be a whole number of seconds').min(0, 'must be at least 0').max(7 * 86_400, 'must be at most 604800 (7 days)').default(600),
  /** An owner's list (comments, likes, follows, followers) of at most this many entries is kept whole in memory; longer ones are read by shelves (models/shelves.ts). */
  OWNER_LIST_MAX_ENTRIES: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(64, 'must be at least 64').max(1_000_000, 'must be at most 1000000').default(10_000),
  /** Entries of one shelf of an owner's list: what a page of a popular owner reads. */
  OWNER_SHELF_SIZE: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(16, 'must be at least 16').max(4_096, 'must be at most 4096').default(128),
  /** The budget of every REST request and socket event, in ms (models/deadline.ts). */
  REQUEST_DEADLINE_MS: z.coerce.number({ error: 'must be a number of milliseconds' }).int('must be a whole number of milliseconds').min(2_000, 'must be at least 2000').max(120_000, 'must be at most 120000').default(5_000),
  /** Requests (REST and socket events) a process works on at once; beyond, refused at once with 50001. */
  MAX_PENDING_REQUESTS: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(100_000, 'must be at most 100000').default(1024),
  /** How long SIGTERM/SIGINT may take before the process gives up waiting and exits with 1 (server/main.ts). */
  SHUTDOWN_DEADLINE_MS: z.coerce.number({ error: 'must be a number of milliseconds' }).int('must be a whole number of milliseconds').min(1_000, 'must be at least 1000').max(600_000, 'must be at most 600000').default(10_000),
  /** Socket.IO connections one process holds at most; unset: three quarters of its open-files limit (realtime/descriptors.ts). */
  REALTIME_MAX_CONNECTIONS: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(10_000_000, 'must be at most 10000000').optional(),
  /** Socket.IO connections from one client address that have not authenticated yet, at most. */
  REALTIME_UNAUTHENTICATED_PER_ADDRESS: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(100_000, 'must be at most 100000').default(32),
  /** A Socket.IO connection not authenticated within this many ms is closed; longer than REQUEST_DEADLINE_MS. Unset: the longer of 10 s and REQUEST_DEADLINE_MS + 5 s. */
  REALTIME_HANDSHAKE_TIMEOUT_MS: z.coerce.number({ error: 'must be a number of milliseconds' }).int('must be a whole number of milliseconds').min(1_000, 'must be at least 1000').max(300_000, 'must be at most 300000').optional(),
  /** A demo world on an empty embedded store at the first start in development (server/world/demo.ts). */
  DEMO_WORLD: z.enum(['on', 'off'], { error: 'must be on or off' }).default('on'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Config = ReturnType<typeof loadConfig>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads and checks the environment; throws a ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  const blankAsUnset = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = environment.safeParse(blankAsUnset);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  }
  const config = parsed.data;
  if (config.NODE_ENV === 'production' && !config.JWT_SECRET) {
    throw new ConfigError('Invalid configuration:\n  JWT_SECRET: must be set to your own secret when NODE_ENV=production');
  }
  const problems = [...redisProblems(config), ...handshakeProblems(config), ...(config.MEDIA_STORAGE === 's3' ? s3Problems(config) : [])];
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n${problems.map((problem) => `  ${problem}`).join('\n')}`);
  const anonymousUploadMb = config.ANONYMOUS_UPLOAD_MB ?? 4 * config.MAX_UPLOAD_MB;
  return {
    ...config,
    HOST: config.HOST ?? (config.NODE_ENV === 'production' ? '0.0.0.0' : '127.0.0.1'),
    HOST_DEFAULTED: config.HOST === undefined,
    ANONYMOUS_UPLOAD_MB: anonymousUploadMb,
    // One address never holds more than all together.
    ANONYMOUS_UPLOAD_MB_PER_ADDRESS: Math.min(config.ANONYMOUS_UPLOAD_MB_PER_ADDRESS ?? config.MAX_UPLOAD_MB, anonymousUploadMb),
    REALTIME_HANDSHAKE_TIMEOUT_MS: config.REALTIME_HANDSHAKE_TIMEOUT_MS ?? Math.max(10_000, config.REQUEST_DEADLINE_MS + 5_000),
    DATA_DIR: path.resolve(config.DATA_DIR),
    PUBLIC_URL: config.PUBLIC_URL?.replace(/\/+$/, ''),
    S3_PUBLIC_URL: config.S3_PUBLIC_URL?.replace(/\/+$/, ''),
    S3_FORCE_PATH_STYLE: (config.S3_FORCE_PATH_STYLE ?? String(Boolean(config.S3_ENDPOINT))) === 'true',
    PUBLIC_REALTIME_URL: config.PUBLIC_REALTIME_URL?.replace(/\/+$/, ''),
  };
}

function redisProblems(config: z.infer<typeof environment>): string[] {
  if (config.REDIS_CLUSTER === 'on' && !config.REDIS_URL) return ['REDIS_CLUSTER: on needs REDIS_URL, a node of the cluster'];
  if (config.REDIS_CLUSTER === 'off' && (config.REDIS_URL?.length ?? 0) > 1) return ['REDIS_URL: several URLs are the nodes of a Redis Cluster: set REDIS_CLUSTER=on, or give one URL'];
  return [];
}

function handshakeProblems(config: z.infer<typeof environment>): string[] {
  if (config.REALTIME_HANDSHAKE_TIMEOUT_MS === undefined || config.REALTIME_HANDSHAKE_TIMEOUT_MS > config.REQUEST_DEADLINE_MS) return [];
  return [`REALTIME_HANDSHAKE_TIMEOUT_MS: must be longer than REQUEST_DEADLINE_MS (${config.REQUEST_DEADLINE_MS}), the budget of a handshake's token check`];
}

function s3Problems(config: z.infer<typeof environment>): string[] {
  const problems: string[] = [];
  if (!config.S3_BUCKET) problems.push('S3_BUCKET: must be set when MEDIA_STORAGE=s3');
  if (Boolean(config.S3_ACCESS_KEY_ID) !== Boolean(config.S3_SECRET_ACCESS_KEY)) {
    problems.push('S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY: set both, or neither to use the AWS SDK\'s own credentials (AWS_* variables, profiles, roles)');
  }
  return problems;
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

function toSeconds(text: string): number {
  const unit = text.at(-1)!;
  const factor = { s: 1, m: 60, h: 3600, d: 86400 }[unit] ?? 1;
  return Number.parseInt(text, 10) * factor;
}
