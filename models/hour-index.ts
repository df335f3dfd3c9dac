import { LRUCache } from 'lru-cache';
import mongoose, { Schema } from 'mongoose';
import { batchedInserts } from './write-batch.js';

/**
 * Indexes of time for lists that grow without end (the feed, a conversation, everything a user sent
 * and received): each record carries the hour it was made in, and a directory lists, per key, the
 * hours that have records. "The newest N before t" or "everything after t" then reads the records of
 * the few hours concerned, one equality query per hour, instead of the key's whole history (FerretDB
 * applies ranges and sorts in Go to everything the equality part matched).
 */
export const HOUR_MS = 3_600_000;

export const hourOf = (epochMs: number): number => Math.floor(epochMs / HOUR_MS);

/**
 * A directory is kept this long per key. An hour filed on another process meanwhile can only be the
 * current or the previous hour, which every walk reads anyway.
 */
const DIRECTORY_TTL_MS = 60_000;

/** Hours read at once in the first step of a walk; each further step reads twice as many. */
const FIRST_STEP_HOURS = 4;

export const HourEntry = mongoose.model(
  'HourEntry',
  new Schema(
    { _id: { type: String, required: true }, key: { type: String, required: true }, hour: { type: Number, required: true } },
    { versionKey: false, collection: 'hours' },
  ).index({ key: 1 }),
);
const insertEntry = batchedInserts<{ _id: string; key: string; hour: number }>(HourEntry);

const directories = new LRUCache<string, Promise<Set<number>>>({ max: 20_000, ttl: DIRECTORY_TTL_MS });
/** Hours this process knows are filed (entries are never removed from the store). */
const filed = new LRUCache<string, true>({ max: 100_000 });

function directory(key: string): Promise<Set<number>> {
  let hours = directories.get(key);
  if (!hours) {
    hours = HourEntry.find({ key }, { hour: 1 }).lean<Array<{ hour: number }>>().then((entries) => new Set(entries.map((entry) => entry.hour)));
    const loading = hours;
    loading.catch(() => directories.get(key) === loading && directories.delete(key));
    directories.set(key, loading);
  }
  return hours;
}

/**
 * Files `hour` under `key`; called before, or as, the hour's first record is stored: a walk reads the
 * hours around now whether filed or not (hoursOf), so no reader misses a record of them.
 */
export async function fileHour(key: string, hour: number): Promise<void> {
  const id = `${key}:${hour}`;
  if (filed.has(id)) return;
  // A writer does not load a directory it does not have: filing an hour twice is harmless.
  await insertEntry({ _id: id, key, hour });
  filed.set(id, true);
  (await directories.get(key))?.add(hour);
}

/**
 * The hours of `key` with records, in `order`, from `from` on (inclusive); always with the hours
 * around now (a record's time may run a few milliseconds ahead of the clock, into the next hour).
 */
export async function hoursOf(key: string, from: number, order: 'newest first' | 'oldest first'): Promise<number[]> {
  const now = hourOf(Date.now());
  const hours = new Set([...(await directory(key)), now - 1, now, now + 1]);
  const newestFirst = order === 'newest first';
  return [...hours].filter((hour) => (newestFirst ? hour <= from : hour >= from)).sort((a, b) => (newestFirst ? b - a : a - b));
}

/**
 * Reads `hours` in growing steps (a sparse past costs a few round trips, not one per hour) until
 * `enough` holds for what was found, in the order of `hours`; `read` answers one step's hours,
 * already in order.
 */
export async function walkHours<T>(hours: readonly number[], read: (hours: number[]) => Promise<T[]>, enough: (found: readonly T[]) => boolean): Promise<T[]> {
  const found: T[] = [];
  for (let start = 0, step = FIRST_STEP_HOURS; start < hours.length && !enough(found); start += step, step *= 2) {
    found.push(...(await read(hours.slice(start, start + step))));
  }
  return found;
}

/** Forgets every directory (a test measuring cold caches). */
export function forgetHours(): void {
  directories.clear();
  filed.clear();
}
