import type { Logger } from 'pino';
import { relations } from '../models/index.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { OFFLINE_GRACE_MS, type PresenceStore } from './presence-store.js';
import { userRoom, type GatewayServer } from './types.js';

/** How often a process renews its heartbeat and looks for processes that died. */
export const SWEEP_EVERY_MS = 5_000;

export interface Presence {
  connected(userId: number): void;
  disconnected(userId: number): void;
  online(userIds: readonly number[]): Promise<Set<number>>;
  close(): Promise<void>;
}

export interface PresenceOptions {
  logger: Logger;
  /** Shared by all processes (Redis); without it this process alone knows who is online. */
  shared?: PresenceStore;
  /** Counts the friends each announcement reaches (for the presence benchmark). */
  onAnnounced?: (friends: number) => void;
}

/**
 * Presence follows each user's sockets: this process counts its own, and the first connect or last
 * disconnect of a user here is told to the shared store, which says whether it is the first or last
 * on all processes. Then the user's friends hear it: one query for the friend ids (the owners' lists
 * in memory), one emit to all their rooms (one packet through the adapter), however many friends.
 */
export function trackPresence(io: GatewayServer, options: PresenceOptions): Presence {
  const { logger, shared } = options;
  const sockets = new Map<number, number>();
  const turns = new Map<number, Promise<void>>();
  /** Users who left this process lately, not announced offline yet (without a shared store). */
  const leaving = new Set<number>();
  /** Users whose change the shared store did not take (Redis out of reach): resynced at the next heartbeat. */
  const unsynced = new Set<number>();

  const announce = async (userId: number, online: boolean, at = Date.now()) => {
    const friends = await relations.friendIds(userId);
    options.onAnnounced?.(friends.length);
    if (friends.length === 0) return;
    io.to(friends.map(userRoom)).emit('presence', { user_id: userId, online, last_seen: String(at) });
  };
  // One user's changes go to the shared store in order: a quick reconnect must not end offline.
  const inTurn = (userId: number, work: () => Promise<void>) => {
    const next = (turns.get(userId) ?? Promise.resolve()).then(work).catch((error: unknown) => {
      unsynced.add(userId);
      logger.warn({ err: error, userId }, 'presence: could not record a change; it is made again once Redis answers');
    });
    turns.set(userId, next);
    void next.then(() => turns.get(userId) === next && turns.delete(userId));
  };

  /**
   * Makes what Redis holds of this process's users true again after an outage: those with a socket
   * here arrive (friends hear them online unless Redis still had them here), the others leave (friends
   * hear them offline if they are offline everywhere: they left while Redis could not be told).
   */
  const resync = async (store: PresenceStore) => {
    const registered = new Set(await store.members());
    const users = new Set([...sockets.keys(), ...unsynced, ...registered]);
    unsynced.clear();
    for (const userId of users) inTurn(userId, () => (sockets.has(userId) ? arrive(store, userId, registered.has(userId)) : leave(store, userId, Date.now())));
  };
  const arrive = async (store: PresenceStore, userId: number, known = false) => {
    if ((await store.arrive(userId)) && !known) await announce(userId, true);
  };
  const leave = async (store: PresenceStore, userId: number, leftAt: number) => {
    if (await store.leave(userId)) offlineLater(userId, leftAt);
  };

  /** Announces `userId` offline unless back (anywhere) within OFFLINE_GRACE_MS. */
  const offlineUnlessBack = async (userId: number, leftAt: number) => {
    await sleep(OFFLINE_GRACE_MS, undefined, { ref: false });
    const back = shared ? (await shared.online([userId])).has(userId) : !leaving.has(userId);
    leaving.delete(userId);
    if (!back) await announce(userId, false, leftAt);
  };

  const offlineLater = (userId: number, leftAt: number) =>
    void offlineUnlessBack(userId, leftAt).catch((error: unknown) => logger.warn({ err: error, userId }, 'presence: could not announce offline'));

  let timer: NodeJS.Timeout | undefined;
  if (shared) {
    const beat = async () => {
      if (!(await shared.heartbeat()) || unsynced.size > 0) await resync(shared);
      for (const userId of await shared.sweep()) if (!sockets.has(userId)) await announce(userId, false);
    };
    void beat().catch(() => undefined);
    timer = setInterval(() => void beat().catch((error: unknown) => logger.debug({ err: error }, 'presence heartbeat failed')), SWEEP_EVERY_MS);
    timer.unref();
  }

  return {
    connected(userId) {
      const count = (sockets.get(userId) ?? 0) + 1;
      sockets.set(userId, count);
      if (count > 1) return;
      inTurn(userId, async () => {
        if (shared) return arrive(shared, userId);
        if (!leaving.delete(userId)) await announce(userId, true);
      });
    },
    disconnected(userId) {
      const count = (sockets.get(userId) ?? 1) - 1;
      if (count > 0) return void sockets.set(userId, count);
      sockets.delete(userId);
      const leftAt = Date.now();
      inTurn(userId, async () => {
        if (sockets.has(userId)) return; // back already
        if (shared) return leave(shared, userId, leftAt);
        leaving.add(userId);
        offlineLater(userId, leftAt);
      });
    },
    async online(userIds) {
      if (!shared) return new Set(userIds.filter((id) => sockets.has(id)));
      return shared.online(userIds);
    },
    async close() {
      clearInterval(timer);
      await Promise.allSettled([...turns.values()]);
      await shared?.depart().catch(() => undefined);
    },
  };
}
