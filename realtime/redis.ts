import { Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface AdapterClients {
  pub: Redis;
  sub: Redis;
  close(): Promise<void>;
}

/**
 * A publisher and a subscriber connection, as the Socket.IO Redis adapter needs them (and the cache
 * relay too), made safe for Redis outages: while Redis is
 * down a publish fails at once (no queue growing without bound) and is dropped with a warning, since
 * local sockets still get the event and remote ones catch up through message:sync; subscriptions wait
 * and are renewed by themselves when Redis is back.
 */
export function adapterClients(url: string, logger: Logger, what = 'cross-process pushes'): AdapterClients {
  const pub = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false });
  const sub = new Redis(url, { maxRetriesPerRequest: null });
  for (const [name, client] of [['publisher', pub], ['subscriber', sub]] as const) {
    let down = false;
    client.on('error', (error: Error) => {
      if (!down) logger.warn({ err: error.message }, `redis ${name} connection lost: ${what} pause`);
      down = true;
    });
    client.on('ready', () => {
      if (down) logger.info(`redis ${name} connection back: ${what} resume`);
      down = false;
    });
  }
  const publish = pub.publish.bind(pub);
  pub.publish = ((channel: string, message: string | Buffer) =>
    publish(channel, message).catch((error: Error) => {
      logger.debug({ err: error.message, channel }, `redis unavailable: dropped one of the ${what}`);
      return 0;
    })) as typeof pub.publish;
  return {
    pub,
    sub,
    async close() {
      await Promise.allSettled([pub.quit(), sub.quit()]);
      pub.disconnect();
      sub.disconnect();
    },
  };
}
