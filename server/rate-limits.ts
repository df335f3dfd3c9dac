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
  /** Likes and unlikes together (LIKES_PER_MINUTE): toggling in a loop is refused, not pushed to the author. */
  likesPerUser: { points: 60, duration: 60, what: 'likes and unlikes' },
  /** Follows and unfollows together (FOLLOWS_PER_MINUTE). */
  followsPerUser: { points: 30, duration: 60, what: 'follows and unfollows' },
} as const;

export type LimitName = keyof typeof LIMITS;

export interface Limit {
  /** Counts one action for `key`; throws RATE_LIMITED (with when to retry) once the limit is passed. */
  consume(key: string | number): Promise<void>;
  /** Forgets `key` (a successful login clears its failures). */
  reset(key: string | number): Promise<void>;
}

/** Whether an event for a key is the first within a window: later ones within it are not pushed again. */
export interface RepeatWindow {
  first(key: string): Promise<boolean>;
}

/** `typing`: one typing event per pair and second is forwarded, on all processes (the contract's rule, on whatever RATE_LIMITS says). */
export type RateLimits = Record<LimitName, Limit> & { repeats: RepeatWindow; typing: RepeatWindow; close(): Promise<void> };

export interface RateLimitOptions {
  redis: RedisTarget | undefined;
  enabled: boolean;
  /** Limits whose points the configuration sets (LIKES_PER_MINUTE, FOLLOWS_PER_MINUTE). */
  points?: Partial<Record<LimitName, number>>;
  /** The window of `repeats`, in seconds (NOTIFICATION_REPEAT_WINDOW_S); 0: every event is a first. */
  repeatWindowS?: number;
  onRefusal?: (limit: LimitName) => void;
}

/**
 * The rate limits, shared by all processes through Redis when REDIS_URL is set (with an in-memory
 * fallback per process while Redis is unreachable), in memory otherwise. `enabled: false` turns
 * them off, for load tests from a single address.
 */
export function createRateLimits(options: RateLimitOptions): RateLimits {
  // A count Redis does not answer in time (frozen, overloaded) is made in memory instead, as while it is down.
  const redis = options.redis ? connectRedis(options.redis, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: REDIS_COMMAND_TIMEOUT_MS }) : undefined;
  redis?.on('error', () => undefined); // the insurance limiter takes over; the adapter's clients log outages
  const limits = Object.fromEntries(
    (Object.keys(LIMITS) as LimitName[]).map((name) => {
      const points = options.points?.[name] ?? LIMITS[name].points;
      return [name, limit(name, points, redis, options.enabled, () => options.onRefusal?.(name))];
    }),
  ) as Record<LimitName, Limit>;
  const repeats = repeatWindow(options.repeatWindowS ?? 0, redis);
  const typing = repeatWindow(1, redis, 'typing');
  return { ...limits, repeats, typing, close: async () => void (redis && (await closeConnection(redis))) };
}

function limit(name: LimitName, points: number, redis: RedisConnection | undefined, enabled: boolean, onRefusal: () => void): Limit {
  if (!enabled) return { consume: async () => undefined, reset: async () => undefined };
  const { duration, what } = LIMITS[name];
  const limiter = limiterOf(name, points, duration, redis);
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

/**
 * One point per key and window, shared by the processes through Redis like the limits (a repeat on
 * another process is one too). Not a limit on the user, so RATE_LIMITS=off leaves it on.
 */
function repeatWindow(seconds: number, redis: RedisConnection | undefined, name = 'repeats'): RepeatWindow {
  if (seconds === 0) return { first: async () => true };
  const limiter = limiterOf(name, 1, seconds, redis);
  return {
    async first(key) {
      try {
        await limiter.consume(key);
        return true;
      } catch (result) {
        if (result instanceof RateLimiterRes) return false;
        throw result;
      }
    },
  };
}

function limiterOf(name: string, points: number, duration: number, redis: RedisConnection | undefined): RateLimiterAbstract {
  const memory = new RateLimiterMemory({ keyPrefix: name, points, duration });
  return redis
    ? new RateLimiterRedis({ storeClient: redis, keyPrefix: `douyin:limit:${name}`, points, duration, insuranceLimiter: memory, rejectIfRedisNotReady: true })
    : memory;
}
