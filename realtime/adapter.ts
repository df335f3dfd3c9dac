import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import type { Logger } from 'pino';
import type { RedisConnection } from './redis-connection.js';
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
 * Both work on a Redis Cluster through ioredis' cluster client (`realtime/redis-connection.ts`):
 * sharded channels are published and subscribed on the node holding their slot, classic PUBLISH
 * reaches every node's subscribers.
 *
 * `onPacket` is called for each pub/sub message the subscriber connection receives.
 */
export function redisAdapter(kind: RedisAdapterKind, clients: AdapterClients, logger: Logger, onPacket?: () => void) {
  if (onPacket) for (const event of DELIVERIES) clients.sub.on(event, onPacket);
  clients.pub.on('ready', () => void warnMisfit(clients.pub, kind, logger));
  if (kind === 'classic') return createAdapter(clients.pub, clients.sub);
  return createShardedAdapter(clients.pub, clients.sub, { subscriptionMode: 'dynamic-private' });
}

/**
 * Sharded pub/sub needs Redis 7, and a cluster node needs the cluster client. Either mistake would
 * only show as pushes between processes (or shared rate limits) failing, so it is said at every
 * connection.
 */
async function warnMisfit(pub: RedisConnection, kind: RedisAdapterKind, logger: Logger): Promise<void> {
  const info = await pub.info().catch(() => '');
  const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
  const major = Number(field('redis_version')?.split('.')[0]);
  if (kind === 'sharded' && major < 7) logger.error(`REDIS_URL is Redis ${field('redis_version')}: the sharded adapter needs Redis 7 or newer (or set REDIS_ADAPTER=classic); pushes between processes fail`);
  if (field('cluster_enabled') === '1' && !pub.isCluster) {
    logger.error('REDIS_URL is a node of a Redis Cluster, but REDIS_CLUSTER is off: set REDIS_CLUSTER=on. Talking to this node alone, sharded pushes between processes and shared rate limits fail for the channels and keys whose slots other nodes hold');
  }
}
