import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AdapterClients } from './redis.js';

export type RedisAdapterKind = 'sharded' | 'classic';

/** The subscriber's events for pub/sub messages: SUBSCRIBE, PSUBSCRIBE and SSUBSCRIBE deliveries. */
const DELIVERIES = ['messageBuffer', 'pmessageBuffer', 'smessageBuffer'] as const;

/**
 * The Socket.IO adapter that carries events between processes through Redis.
 *
 * - `sharded` (Redis 7 sharded pub/sub): a packet for one room is published on that room's channel,
 *   which only the processes holding the room subscribe to; the others neither receive nor decode
 *   it. A packet for several rooms goes on the channel every process subscribes to, so delivery
 *   emits to one room at a time. Subscription mode `dynamic-private`, not `dynamic`: `dynamic`
 *   publishes a room whose name is 20 characters long on the shared channel, taking it for a socket
 *   id, and a user's room (`user:` and a 15-digit id, for ids made from October 2025 to September
 *   2032) is 20 characters long. The price is one more channel per socket (its own room).
 * - `classic`: one pattern subscription; every process receives and decodes every packet.
 *
 * `onPacket` is called for each pub/sub message the subscriber connection receives.
 */
export function redisAdapter(kind: RedisAdapterKind, clients: AdapterClients, logger: Logger, onPacket?: () => void) {
  if (onPacket) for (const event of DELIVERIES) clients.sub.on(event, onPacket);
  if (kind === 'classic') return createAdapter(clients.pub, clients.sub);
  clients.pub.on('ready', () => void warnUnshardable(clients.pub, logger));
  return createShardedAdapter(clients.pub, clients.sub, { subscriptionMode: 'dynamic-private' });
}

/**
 * Sharded pub/sub needs Redis 7 and, on a Redis Cluster, a cluster client that routes each channel
 * to its shard (not this server's). Either mistake would only show as pushes between processes
 * failing, so it is said at every connection.
 */
async function warnUnshardable(pub: Redis, logger: Logger): Promise<void> {
  const info = await pub.info().catch(() => '');
  const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
  const major = Number(field('redis_version')?.split('.')[0]);
  if (major < 7) logger.error(`REDIS_URL is Redis ${field('redis_version')}: the sharded adapter needs Redis 7 or newer (or set REDIS_ADAPTER=classic); pushes between processes fail`);
  if (field('cluster_enabled') === '1') logger.error('REDIS_URL is a node of a Redis Cluster, which the sharded adapter cannot use through it (or set REDIS_ADAPTER=classic); pushes between processes fail for channels whose slots other nodes hold');
}
