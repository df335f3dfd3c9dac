import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { Logger } from 'pino';
import { z } from 'zod';
import { caches, revocations, writeBehind } from '../models/index.js';
import { adapterClients } from '../realtime/redis.js';
import type { RedisTarget } from '../realtime/redis-connection.js';

const CHANNEL = 'douyin:caches:forget';

const ids = z.array(z.number().int()).max(10_000);
const announcement = z.object({
  from: z.string(),
  /** Tokens logged out on the sending process (models/revocations.ts). */
  revoked: z.array(z.object({ tokenId: z.string().max(100), userId: z.number().int(), expiresAt: z.number().int() })).max(100).optional(),
  changes: z.object({
    users: ids.optional(),
    videos: ids.optional(),
    pair: z.tuple([z.number().int(), z.number().int()]).optional(),
    published: z.boolean().optional(),
    likes: ids.optional(),
    comments: ids.optional(),
    liked: ids.optional(),
    commented: ids.optional(),
    shelves: z.array(z.string().regex(/^\d+:\d+$/)).max(10).optional(),
    conversations: z.array(z.string().max(64)).max(10_000).optional(),
    counted: z.object({
      generation: z.number().int(),
      counters: z.array(z.object({ target: z.string().regex(/^(users|videos):\d+$/), field: z.string().max(32), step: z.union([z.literal(1), z.literal(-1)]) })).max(10).optional(),
      latest: z.object({ pair: z.string().max(64), message: z.object({ id: z.number().int(), fromUserId: z.number().int(), content: z.string() }) }).optional(),
    }).optional(),
    folded: z.number().int().optional(),
  }).optional(),
});

export interface CacheRelay {
  /**
   * Settles once this process hears the others and can tell them (subscribed, publisher ready), and
   * has read what they announced before (their latest messages not folded): writes served before that
   * would leave other processes' caches stale until they expire.
   */
  joined: Promise<void>;
  close(): Promise<void>;
}

/**
 * Tells the other processes what this one's writes made stale, and forgets what theirs did, over a
 * Redis channel. While Redis is down nothing is relayed and caches elsewhere expire on their own.
 * Logouts travel the same way: a token logged out here is refused everywhere within a Redis hop
 * (while Redis is down, within revocations.RELOAD_MS, when the others read the store).
 */
export function relayCacheChanges(redis: RedisTarget, logger: Logger): CacheRelay {
  const { pub, sub, close } = adapterClients(redis, logger, 'cross-process cache invalidations');
  const me = randomUUID();
  sub.on('message', (_channel: string, raw: string) => {
    const parsed = announcement.safeParse(safeJson(raw));
    if (!parsed.success || parsed.data.from === me) return;
    const { changes, revoked } = parsed.data;
    if (revoked) revocations.learn(revoked);
    if (!changes) return;
    caches.forget(changes as caches.Changes, { relayed: true });
    writeBehind.rememberRemote(changes as caches.Changes);
  });
  // With Redis down at start the subscription is made when it comes back (ioredis subscribes again
  // by itself after each reconnection). Meanwhile records are cached briefly (caches.ts).
  // A frozen Redis keeps the subscriber's connection open and silent: the publisher, which pings
  // (realtime/redis.ts), is what notices. Either one down, changes may go unheard.
  let isSubscribed = false;
  const hear = () => caches.hearingOthers(isSubscribed && sub.status === 'ready' && pub.status === 'ready');
  const subscribed = sub.subscribe(CHANNEL).then(() => {
    isSubscribed = true;
    hear();
  }, () => undefined);
  for (const connection of [sub, pub]) {
    connection.on('close', () => caches.hearingOthers(false));
    connection.on('ready', hear);
  }
  const publisherReady = pub.status === 'ready' ? undefined : once(pub, 'ready').catch(() => undefined);
  const announce = (changes: caches.Changes) => void pub.publish(CHANNEL, JSON.stringify({ from: me, changes }));
  caches.cacheEvents.on('forgotten', announce);
  const announceLogout = (revocation: revocations.Revocation) => void pub.publish(CHANNEL, JSON.stringify({ from: me, revoked: [revocation] }));
  revocations.revocationEvents.on('announced', announceLogout);
  return {
    joined: Promise.all([subscribed, publisherReady]).then(() => writeBehind.learnUnfoldedElsewhere().catch((error: Error) => {
      logger.warn({ err: error.message }, 'the other processes\' latest messages not folded yet could not be read: they show at their fold');
    })),
    async close() {
      caches.hearingOthers(false);
      caches.cacheEvents.off('forgotten', announce);
      revocations.revocationEvents.off('announced', announceLogout);
      await close();
    },
  };
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
