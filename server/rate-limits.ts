import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { Refusal } from '../models/index.js';
import { closeConnection, connectRedis, REDIS_COMMAND_TIMEOUT_MS, type RedisConnection, type RedisTarget } from '../realtime/redis-connection.js';

/** The limits, per key, over a window; documented in the README. */
export const LIMITS = {
  /** Guessing one account's password from one place; the owner elsewhere is not locked out. */
  loginFailuresPerAddressAndUsername: { points: 10, duration: 15 * 60, what: 'failed logins for this username from this address' },
  /** Guessing from many places: only a hundred failures lock the account out everywhere. */
  loginFailuresPerUsername: { points: 100, duration: 15 * 60, what: 'failed logins for this username' },
  loginPerAddress: { points: 100, duration: 15 * 60, what: 'login attempts from this address' },
  /** Mastodon's: one carrier-grade NAT address can stand for many people signing up. */
  registerPerAddress: { points: 25, duration: 5 * 60, what: 'registrations from this address' },
  messagesPerUser: { points: 60, duration: 60, what: 'messages' },
  publishesPerUser: { points: 10, duration: 10 * 60, what: 'videos published' },
  commentsPerUser: { points: 30, duration: 60, what: 'comments' },
} as const;

export type LimitName = keyof typeof LIMITS;

export interface Limit {
  /** Counts one action for `key`; throws RATE_LIMITED (with when to retry) once the limit is passed. */
  consume(key: string | number): Promise<void>;
  /** Forgets `key` (a successful login clears its failures). */
  reset(key: string | number): Promise<void>;
}

export type RateLimits = Record<LimitName, Limit> & { close(): Promise<void> };

/**
 * The rate limits, shared by all processes through Redis when REDIS_URL is set (with an in-memory
 * fallback per process while Redis is unreachable), in memory otherwise. `enabled: false` turns
 * them off, for load tests from a single address.
 */
export function createRateLimits(options: { redis: RedisTarget | undefined; enabled: boolean; onRefusal?: (limit: LimitName) => void }): RateLimits {
  // A count Redis does not answer in time (frozen, overloaded) is made in memory instead, as while it is down.
  const redis = options.redis ? connectRedis(options.redis, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: REDIS_COMMAND_TIMEOUT_MS }) : undefined;
  redis?.on('error', () => undefined); // the insurance limiter takes over; the adapter's clients log outages
  const limits = Object.fromEntries(
    (Object.keys(LIMITS) as LimitName[]).map((name) => [name, limit(name, redis, options.enabled, () => options.onRefusal?.(name))]),
  ) as Record<LimitName, Limit>;
  return { ...limits, close: async () => void (redis && (await closeConnection(redis))) };
}

function limit(name: LimitName, redis: RedisConnection | undefined, enabled: boolean, onRefusal: () => void): Limit {
  if (!enabled) return { consume: async () => undefined, reset: async () => undefined };
  const { points, duration, what } = LIMITS[name];
  const memory = new RateLimiterMemory({ keyPrefix: name, points, duration });
  const limiter: RateLimiterAbstract = redis
    ? new RateLimiterRedis({ storeClient: redis, keyPrefix: `douyin:limit:${name}`, points, duration, insuranceLimiter: memory, rejectIfRedisNotReady: true })
    : memory;
  return {
    async consume(key) {
      try {
        await limiter.consume(String(key));
      } catch (result) {
        if (!(result instanceof RateLimiterRes)) throw result;
        onRefusal();
        throw new Refusal('RATE_LIMITED', `too many ${what}: try again in ${Math.ceil(result.msBeforeNext / 1000)} s`);
      }
    },
    async reset(key) {
      await limiter.delete(String(key)).catch(() => undefined);
    },
  };
}
