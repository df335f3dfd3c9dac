import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import mongoose, { Schema } from 'mongoose';

/**
 * Snowflake-style ids that fit in a JavaScript safe integer (53 bits):
 * 41 bits of milliseconds since EPOCH_MS, 6 bits of worker slot, 6 bits of sequence.
 * Worker slots are leased in the database so that concurrent processes never share one.
 */
export const EPOCH_MS = Date.UTC(2025, 0, 1);
const WORKER_BITS = 6;
const SEQUENCE_BITS = 6;
export const WORKER_SLOTS = 2 ** WORKER_BITS;
const SEQUENCE_SIZE = 2 ** SEQUENCE_BITS;
const LEASE_MS = 60_000;
const RENEW_MS = 15_000;
/** How often a process looks whether others write to its store too (a process joining it). */
const SHARING_CHECK_MS = 2_000;

const WorkerLease = mongoose.model(
  'WorkerLease',
  new Schema({ _id: Number, owner: String, expiresAt: Date }, { versionKey: false, collection: 'worker_leases' }),
);

export class IdGenerator {
  private lastMs = 0;
  private sequence = 0;

  constructor(
    readonly worker: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(worker) || worker < 0 || worker >= WORKER_SLOTS) throw new RangeError(`worker slot ${worker}`);
  }

  next(): number {
    let ms = Math.max(this.now() - EPOCH_MS, this.lastMs);
    if (ms === this.lastMs) {
      this.sequence += 1;
      if (this.sequence === SEQUENCE_SIZE) {
        ms += 1; // borrow from the next millisecond rather than wait for it
        this.sequence = 0;
      }
    } else {
      this.sequence = 0;
    }
    this.lastMs = ms;
    return (ms * WORKER_SLOTS + this.worker) * SEQUENCE_SIZE + this.sequence;
  }
}

/** The creation time encoded in an id, in epoch milliseconds. */
export function idTime(id: number): number {
  return Math.floor(id / (WORKER_SLOTS * SEQUENCE_SIZE)) + EPOCH_MS;
}

/** The worker slot that generated an id. */
export function idWorker(id: number): number {
  return Math.floor(id / SEQUENCE_SIZE) % WORKER_SLOTS;
}

/** The smallest id that can be generated at `epochMs`: ids below it are older. */
export function idFloor(epochMs: number): number {
  return Math.max(0, epochMs - EPOCH_MS) * WORKER_SLOTS * SEQUENCE_SIZE;
}

let generator: IdGenerator | undefined;
let lease: { slot: number; owner: string; timers: NodeJS.Timeout[] } | undefined;

/** This process, as the owner of its id lease and of what it leaves pending in the store: `host/pid/uuid`. */
export const PROCESS_ID = `${hostname()}/${process.pid}/${randomUUID()}`;

export function nextId(): number {
  if (!generator) throw new Error('ids are not started: call startIds() after connecting');
  return generator.next();
}

/** Leases a free worker slot for this process and keeps the lease alive. */
export async function startIds(): Promise<number> {
  const owner = PROCESS_ID;
  const slots = [...Array(WORKER_SLOTS).keys()].sort(() => Math.random() - 0.5);
  for (const slot of slots) {
    if (await claim(slot, owner)) {
      const timers = [
        setInterval(() => void renew(slot, owner).catch(() => undefined), RENEW_MS).unref(),
        setInterval(() => void othersShareStore().catch(() => undefined), SHARING_CHECK_MS).unref(),
      ];
      lease = { slot, owner, timers };
      generator = new IdGenerator(slot);
      await othersShareStore();
      return slot;
    }
  }
  throw new Error(`all ${WORKER_SLOTS} id worker slots are leased by running processes`);
}

/** Whether another live process holds an id worker lease on this store, i.e. writes to it too. */
export async function othersShareStore(): Promise<boolean> {
  if (!lease) return false;
  const others = await WorkerLease.countDocuments({ owner: { $ne: lease.owner }, expiresAt: { $gt: new Date() } });
  const before = shared;
  shared = others > 0;
  if (shared && !before) sharingEvents.emit('joined');
  return shared;
}

let shared = false;

/** `joined`: another process began writing to this store (seen within SHARING_CHECK_MS). */
export const sharingEvents = new EventEmitter<{ joined: [] }>();

/** othersShareStore as of the last look (every SHARING_CHECK_MS) or the last time it was asked. */
export function storeLooksShared(): boolean {
  return shared;
}

/**
 * Whether the process `owner` (a PROCESS_ID) is gone: it holds no live lease, or it ran on this host
 * and its pid no longer runs (or is ours now). A process that died holds its lease until it expires;
 * the pid tells at once when it was on this host.
 */
export async function isGone(owner: string): Promise<boolean> {
  const [host, pid] = owner.split('/');
  if (owner === PROCESS_ID) return false;
  if (host === hostname() && (Number(pid) === process.pid || !isRunning(Number(pid)))) return true;
  return (await WorkerLease.exists({ owner, expiresAt: { $gt: new Date() } })) === null;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

export async function stopIds(): Promise<void> {
  if (!lease) return;
  lease.timers.forEach(clearInterval);
  await WorkerLease.deleteOne({ _id: lease.slot, owner: lease.owner });
  lease = undefined;
  generator = undefined;
}

async function claim(slot: number, owner: string): Promise<boolean> {
  // An insert on _id is atomic on every MongoDB-protocol store; an expired lease is removed first.
  await WorkerLease.deleteOne({ _id: slot, expiresAt: { $lt: new Date() } });
  try {
    await WorkerLease.create({ _id: slot, owner, expiresAt: new Date(Date.now() + LEASE_MS) });
    return true;
  } catch (error) {
    if (isDuplicateKey(error)) return false;
    throw error;
  }
}

async function renew(slot: number, owner: string): Promise<void> {
  try {
    const result = await WorkerLease.updateOne(
      { _id: slot, owner },
      { $set: { expiresAt: new Date(Date.now() + LEASE_MS) } },
    );
    if (result.matchedCount === 0) {
      // The lease expired while this process could not renew it and someone else may hold the slot now.
      await stopIds();
      await startIds();
    }
  } catch {
    // The store is unreachable; the next renewal retries well before the lease expires.
  }
}

export function isDuplicateKey(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 11000;
}
