import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
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
export function redisAdapter(kind: RedisAdapterKind, clients: AdapterClients, onPacket?: () => void) {
  if (onPacket) for (const event of DELIVERIES) clients.sub.on(event, onPacket);
  if (kind === 'classic') return createAdapter(clients.pub, clients.sub);
  return createShardedAdapter(clients.pub, clients.sub, { subscriptionMode: 'dynamic-private' });
}
