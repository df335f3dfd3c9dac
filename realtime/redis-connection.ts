import { Cluster, Redis } from 'ioredis';

/** The Redis the processes share: one server, or a Redis Cluster reached through some of its nodes. */
export interface RedisTarget {
  /** One server's URL; for a cluster, the URLs of the nodes to discover it from (seeds). */
  urls: string[];
  cluster: boolean;
}

export type RedisConnection = Redis | Cluster;

export interface ConnectionOptions {
  /** false: a command while Redis is unreachable fails at once instead of waiting in a queue. */
  enableOfflineQueue?: boolean;
  maxRetriesPerRequest?: number | null;
  /**
   * A command not answered within this many ms fails. The connection is also pinged every
   * `commandTimeout` and made again when a ping is not answered: a frozen Redis keeps its connections
   * open, so while it does not answer the connection is not ready (its ready check times out too) and
   * callers go on without it at once, instead of each waiting for the timeout. It is ready again
   * as soon as Redis answers.
   */
  commandTimeout?: number;
}

/**
 * How long a Redis command made while answering a request (a rate-limit count, a publish, the
 * readiness ping) may wait: a frozen Redis keeps its connections open and never answers, and nothing
 * else would notice. Well under the smallest request budget (REQUEST_DEADLINE_MS, 2 s at least): the
 * request goes on without Redis (limits counted in memory, the push dropped) and is answered in time.
 */
export const REDIS_COMMAND_TIMEOUT_MS = 1_000;

/**
 * Closes a connection whatever Redis does: QUIT (letting Redis finish what was sent) only while
 * the connection is ready, for at most `quitMs`, then disconnect(), which also stops reconnecting.
 * A QUIT made while Redis is unreachable waits in the offline queue for a reconnection that may
 * never come, and one sent to a frozen Redis is never answered.
 */
export async function closeConnection(connection: RedisConnection, quitMs = REDIS_COMMAND_TIMEOUT_MS): Promise<void> {
  if (connection.status === 'ready') {
    let timer: NodeJS.Timeout | undefined;
    const givenUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, quitMs)));
    await Promise.race([connection.quit().catch(() => undefined), givenUp]);
    clearTimeout(timer);
  }
  connection.disconnect();
}

/**
 * A connection to `target`: ioredis' plain client for one server, its cluster client for a cluster.
 * The cluster client sends each command to the node holding its key's slot (a channel's, for sharded
 * pub/sub), subscribes to sharded channels through one connection per primary
 * (`shardedSubscribers`), follows the cluster's changes, and reconnects by itself. Every node is
 * reached with the user, password and TLS of the first URL.
 */
export function connectRedis(target: RedisTarget, options: ConnectionOptions): RedisConnection {
  const connection = target.cluster ? clusterConnection(target, options) : new Redis(target.urls[0]!, options);
  if (options.commandTimeout) dropWhenUnresponsive(connection, options.commandTimeout);
  return connection;
}

function clusterConnection(target: RedisTarget, options: ConnectionOptions): Cluster {
  const seeds = target.urls.map((url) => new URL(url));
  const { enableOfflineQueue, ...nodeOptions } = options;
  return new Cluster(seeds.map(address), {
    enableOfflineQueue,
    shardedSubscribers: true,
    redisOptions: { ...nodeOptions, ...credentials(seeds[0]!) },
  });
}

/** Pings a ready connection every `intervalMs`; one that does not answer (it times out) is made again. */
function dropWhenUnresponsive(connection: RedisConnection, intervalMs: number): void {
  let pinging = false;
  const timer = setInterval(() => {
    if (pinging || connection.status !== 'ready') return;
    pinging = true;
    connection.ping().then(
      () => (pinging = false),
      (error: Error) => {
        pinging = false;
        if (/timed out/i.test(error.message) && connection.status === 'ready') connection.disconnect(true);
      },
    );
  }, intervalMs);
  timer.unref();
  connection.once('end', () => clearInterval(timer));
}

function address(url: URL): { host: string; port: number } {
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port || 6379) };
}

function credentials(url: URL): { username?: string; password?: string; tls?: object } {
  return {
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}
