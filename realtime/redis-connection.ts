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
}

/**
 * A connection to `target`: ioredis' plain client for one server, its cluster client for a cluster.
 * The cluster client sends each command to the node holding its key's slot (a channel's, for sharded
 * pub/sub), subscribes to sharded channels through one connection per primary
 * (`shardedSubscribers`), follows the cluster's changes, and reconnects by itself. Every node is
 * reached with the user, password and TLS of the first URL.
 */
export function connectRedis(target: RedisTarget, options: ConnectionOptions): RedisConnection {
  if (!target.cluster) return new Redis(target.urls[0]!, options);
  const seeds = target.urls.map((url) => new URL(url));
  const { enableOfflineQueue, ...nodeOptions } = options;
  return new Cluster(seeds.map(address), {
    enableOfflineQueue,
    shardedSubscribers: true,
    redisOptions: { ...nodeOptions, ...credentials(seeds[0]!) },
  });
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
