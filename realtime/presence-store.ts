import type { RedisConnection } from './redis-connection.js';

/**
 * Who is online on all processes together, in Redis. Keys share one hash tag (one slot on a cluster):
 * per user, a hash of the processes holding a socket of theirs; per process, the set of its users and
 * a heartbeat key that expires; one set of everyone online. Each change is one script, so of two
 * processes changing one user at once exactly one sees the first connect or the last disconnect.
 */
const PREFIX = '{douyin:presence}:';
const keys = {
  online: `${PREFIX}online`,
  processes: `${PREFIX}processes`,
  user: (userId: number) => `${PREFIX}user:${userId}`,
  users: (processId: string) => `${PREFIX}process:${processId}`,
  alive: (processId: string) => `${PREFIX}alive:${processId}`,
  left: (userId: number) => `${PREFIX}left:${userId}`,
};

/**
 * A user whose last socket closed is announced offline only if still offline this much later: a
 * reconnect, or a switch to another device (on another process), within it announces nothing.
 */
export const OFFLINE_GRACE_MS = 2_000;

/** How long a process counts as alive after its last heartbeat. */
export const HEARTBEAT_TTL_MS = 15_000;

// KEYS: online, user, process's users, user's "left lately"; ARGV: process, user, grace ms.
const ARRIVE = `
redis.call('HSET', KEYS[2], ARGV[1], 1)
redis.call('SADD', KEYS[3], ARGV[2])
if redis.call('HLEN', KEYS[2]) == 1 then
  redis.call('SADD', KEYS[1], ARGV[2])
  if redis.call('DEL', KEYS[4]) == 1 then return 0 end
  return 1
end
return 0`;

const LEAVE = `
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('SREM', KEYS[3], ARGV[2])
if redis.call('HLEN', KEYS[2]) == 0 then
  redis.call('SREM', KEYS[1], ARGV[2])
  redis.call('SET', KEYS[4], 1, 'PX', ARGV[3])
  return 1
end
return 0`;

/** Takes the users of processes whose heartbeat expired off; returns those who are offline now. */
const SWEEP = `
local gone = {}
for _, proc in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. 'alive:' .. proc) == 0 then
    redis.call('SREM', KEYS[1], proc)
    for _, user in ipairs(redis.call('SMEMBERS', ARGV[1] .. 'process:' .. proc)) do
      local key = ARGV[1] .. 'user:' .. user
      redis.call('HDEL', key, proc)
      if redis.call('HLEN', key) == 0 then
        redis.call('SREM', KEYS[2], user)
        table.insert(gone, user)
      end
    end
    redis.call('DEL', ARGV[1] .. 'process:' .. proc)
  end
end
return gone`;

export interface PresenceStore {
  /** This process holds a first socket of `userId`: true when no process held one before, nor within OFFLINE_GRACE_MS. */
  arrive(userId: number): Promise<boolean>;
  /** This process closed its last socket of `userId`: true when no process holds one now (announce it if still so after OFFLINE_GRACE_MS). */
  leave(userId: number): Promise<boolean>;
  /**
   * Renews this process's heartbeat; false when it had lapsed (Redis lost its data, or was out of
   * reach so long that other processes swept this one's users): what Redis holds is to be resynced.
   */
  heartbeat(): Promise<boolean>;
  /** The users Redis has on this process. */
  members(): Promise<number[]>;
  /** Users of processes that died (no heartbeat), now offline: each is returned to one process only. */
  sweep(): Promise<number[]>;
  online(userIds: readonly number[]): Promise<Set<number>>;
  /** This process is closing: its heartbeat goes, so that others sweep whatever it leaves at once. */
  depart(): Promise<void>;
}

export function redisPresence(redis: RedisConnection, processId: string): PresenceStore {
  const change = async (script: string, userId: number) =>
    (await redis.eval(script, 4, keys.online, keys.user(userId), keys.users(processId), keys.left(userId), processId, String(userId), OFFLINE_GRACE_MS)) === 1;
  return {
    arrive: (userId) => change(ARRIVE, userId),
    leave: (userId) => change(LEAVE, userId),
    async heartbeat() {
      const [renewed] = (await redis.multi().set(keys.alive(processId), '1', 'PX', HEARTBEAT_TTL_MS, 'GET').sadd(keys.processes, processId).exec()) ?? [];
      if (renewed?.[0]) throw renewed[0];
      return renewed?.[1] !== null;
    },
    async members() {
      return (await redis.smembers(keys.users(processId))).map(Number);
    },
    async sweep() {
      const gone = (await redis.eval(SWEEP, 2, keys.processes, keys.online, PREFIX)) as string[];
      return gone.map(Number);
    },
    async online(userIds) {
      const flags = await redis.smismember(keys.online, ...userIds.map(String));
      return new Set(userIds.filter((_, i) => flags[i] === 1));
    },
    async depart() {
      await redis.del(keys.alive(processId));
    },
  };
}
