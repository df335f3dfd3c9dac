import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import mongoose, { Schema } from 'mongoose';
import { isDuplicateKey } from './ids.js';
import { User } from './user.js';

const LEASE_MS = 30_000;
const RENEW_MS = 10_000;
const RETRY_MS = 1_000;

/** `_id: 'lease'`: who builds a world now. `_id: 'demo-world'`: how far the server's demo world got. */
const WorldBuild = mongoose.model(
  'WorldBuild',
  new Schema(
    { _id: String, owner: String, holder: String, expiresAt: Date, state: { type: String, enum: ['begun', 'done'] } },
    { versionKey: false, collection: 'world_builds' },
  ),
);

export interface WorldLease {
  release(): Promise<void>;
}

/**
 * Waits until this process alone may build a world on this store (the server's demo world, `npm run
 * seed`): building one reads what exists and then adds the rest, which two builders at once would
 * both add. `holder` names this builder to the others; `onWait` hears who holds it, once.
 */
export async function waitForWorldLease(holder: string, onWait: (heldBy: string) => void, signal?: AbortSignal): Promise<WorldLease> {
  const owner = randomUUID();
  let told = false;
  for (;;) {
    signal?.throwIfAborted();
    const heldBy = await claim(owner, holder);
    if (heldBy === undefined) return keep(owner);
    if (!told) onWait(heldBy);
    told = true;
    await sleep(RETRY_MS, undefined, { signal });
  }
}

/** The holder of the lease if someone else holds it, else undefined: this process holds it now. */
async function claim(owner: string, holder: string): Promise<string | undefined> {
  // An insert on _id is atomic on every MongoDB-protocol store; a lease its holder stopped renewing (it died) is removed first.
  await WorldBuild.deleteOne({ _id: 'lease', expiresAt: { $lt: new Date() } });
  try {
    await WorldBuild.create({ _id: 'lease', owner, holder, expiresAt: new Date(Date.now() + LEASE_MS) });
    return undefined;
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
    const current = await WorldBuild.findById('lease', { holder: 1 }).lean();
    return current?.holder ?? 'another process';
  }
}

function keep(owner: string): WorldLease {
  const renew = () => WorldBuild.updateOne({ _id: 'lease', owner }, { $set: { expiresAt: new Date(Date.now() + LEASE_MS) } }).catch(() => undefined);
  const timer = setInterval(() => void renew(), RENEW_MS).unref();
  return {
    async release() {
      clearInterval(timer);
      await WorldBuild.deleteOne({ _id: 'lease', owner });
    },
  };
}

/**
 * What the server's demo world has to do on this store: `build` on a store without any user,
 * `finish` one an earlier start began and did not complete, `none` when it is done or the store
 * holds a world of someone else's (users registered, or `npm run seed`). Ask while holding the lease.
 */
export async function demoWorldTask(): Promise<'build' | 'finish' | 'none'> {
  const demo = await WorldBuild.findById('demo-world', { state: 1 }).lean();
  if (demo) return demo.state === 'done' ? 'none' : 'finish';
  return (await User.exists({})) ? 'none' : 'build';
}

export async function markDemoWorld(state: 'begun' | 'done'): Promise<void> {
  await WorldBuild.updateOne({ _id: 'demo-world' }, { $set: { state } }, { upsert: true });
}
