import type { Logger } from 'pino';
import { closeConnection, connectRedis, REDIS_COMMAND_TIMEOUT_MS, type RedisConnection, type RedisTarget } from './redis-connection.js';

export interface AdapterClients {
  pub: RedisConnection;
  sub: RedisConnection;
  /** Whether Redis answers a ping now (within REDIS_COMMAND_TIMEOUT_MS): a frozen Redis looks connected. */
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * A publisher and a subscriber connection, as the Socket.IO Redis adapters need them (and the cache
 * relay too), made safe for Redis outages: while Redis is
 * down a publish fails at once (no queue growing without bound) and is dropped with a warning, since
 * local sockets still get the event and remote ones catch up through message:sync; subscriptions wait
 * and are renewed by themselves when Redis is back. The same holds for sharded pub/sub (SPUBLISH,
 * SSUBSCRIBE), which the sharded adapter calls through ioredis' spublish, ssubscribe and sunsubscribe,
 * and on a Redis Cluster (where renewing sharded subscriptions after the whole cluster was down needs
 * the fix to ioredis in realtime/patches/).
 */
export function adapterClients(target: RedisTarget, logger: Logger, what = 'cross-process pushes'): AdapterClients {
  // Publishes fail after REDIS_COMMAND_TIMEOUT_MS rather than piling up behind a Redis that stopped answering.
  const pub = connectRedis(target, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: REDIS_COMMAND_TIMEOUT_MS });
  const sub = connectRedis(target, { maxRetriesPerRequest: null });
  for (const [name, client] of [['publisher', pub], ['subscriber', sub]] as const) {
    let down = false;
    client.on('error', (error: Error & { lastNodeError?: Error }) => {
      // The cluster client's own error ("Failed to refresh slots cache.") names its cause apart.
      const reason = [error.message, error.lastNodeError?.message].filter(Boolean).join(' ');
      if (!down) logger.warn({ err: reason }, `redis ${name} connection lost: ${what} pause`);
      down = true;
    });
    client.on('ready', () => {
      if (down) logger.info(`redis ${name} connection back: ${what} resume`);
      down = false;
    });
  }
  const dropped = (channel: string) => (error: Error) => {
    logger.debug({ err: error.message, channel }, `redis unavailable: dropped one of the ${what}`);
    return 0;
  };
  const publish = pub.publish.bind(pub);
  pub.publish = ((channel: string, message: string | Buffer) => publish(channel, message).catch(dropped(channel))) as typeof pub.publish;
  // The sharded adapter waits for its publish before it emits to this process's own sockets (the
  // classic one does not): answering at once keeps local pushes from waiting on Redis, or on a
  // connection that hangs.
  const spublish = pub.spublish.bind(pub);
  pub.spublish = ((channel: string, message: string | Buffer) => {
    void spublish(channel, message).catch(dropped(channel));
    return Promise.resolve(0);
  }) as typeof pub.spublish;
  // The sharded adapter does not handle these promises; one rejected at shutdown (the connection
  // closing under a queued command) must not become an unhandled rejection.
  const unanswered = (command: string) => (error: Error) => {
    logger.debug({ err: error.message }, `redis ${command} failed`);
    return 0;
  };
  const ssubscribe = sub.ssubscribe.bind(sub);
  sub.ssubscribe = ((...channels: string[]) => ssubscribe(...channels).catch(unanswered('ssubscribe'))) as typeof sub.ssubscribe;
  const sunsubscribe = sub.sunsubscribe.bind(sub);
  sub.sunsubscribe = ((...channels: string[]) => sunsubscribe(...channels).catch(unanswered('sunsubscribe'))) as typeof sub.sunsubscribe;
  return {
    pub,
    sub,
    async ready() {
      if (pub.status !== 'ready' || sub.status !== 'ready') return false;
      return pub.ping().then(() => true, () => false);
    },
    async close() {
      await Promise.all([closeConnection(pub), closeConnection(sub)]);
    },
  };
}
