import type { Model, mongo } from 'mongoose';
import { isDuplicateKey } from './ids.js';

/**
 * Group commit: writes that arrive while one command of their kind is in flight go together in the
 * next one. A lone write leaves at once (the next turn of the event loop), so batching costs no latency
 * when the server is quiet, and under load one command carries many writes. On FerretDB an insert of 16
 * documents costs about what one of a single document costs (`npm run bench:write-ops`).
 */
const MAX_BATCH = 500;

export function batched<I, R>(run: (items: I[]) => Promise<Array<R | Error>>): (item: I) => Promise<R> {
  let queue: Array<{ item: I; resolve: (result: R) => void; reject: (error: unknown) => void }> = [];
  let flushing = false;
  const flush = async () => {
    flushing = true;
    while (queue.length > 0) {
      const batch = queue.slice(0, MAX_BATCH);
      queue = queue.slice(batch.length);
      try {
        const results = await run(batch.map((entry) => entry.item));
        batch.forEach((entry, i) => {
          const result = results[i]!;
          if (result instanceof Error) entry.reject(result);
          else entry.resolve(result);
        });
      } catch (error) {
        batch.forEach((entry) => entry.reject(error));
      }
    }
    flushing = false;
  };
  return (item) => new Promise<R>((resolve, reject) => {
    queue.push({ item, resolve, reject });
    if (!flushing) {
      flushing = true;
      setImmediate(() => void flush());
    }
  });
}

export type InsertOutcome = 'inserted' | 'duplicate';

/**
 * Inserts documents of `model`, batched: each resolves to 'inserted', or to 'duplicate' when a unique
 * index refused it. Documents go to the driver as they are (no casting, no defaults): callers give
 * complete documents of the schema's types.
 */
export function batchedInserts<T extends { _id: unknown }>(model: Model<any>): (doc: T) => Promise<InsertOutcome> {
  return batched<T, InsertOutcome>(async (docs) => {
    try {
      await model.collection.insertMany(docs as never[], { ordered: false });
      return docs.map(() => 'inserted');
    } catch (error) {
      const failures = writeErrorsOf(error);
      if (!failures) throw error;
      return docs.map((_, i) => {
        const failure = failures.get(i);
        if (!failure) return 'inserted';
        return isDuplicateKey(failure) ? 'duplicate' : Object.assign(new Error(failure.errmsg ?? 'insert failed'), { code: failure.code });
      });
    }
  });
}

/**
 * FerretDB 1.24 runs the statements of a write command at once, each on connections of its own pool:
 * about 50 update statements in flight (one command of 64, or 16 commands of 8) exhaust it and wedge
 * the store for good, with PostgreSQL idle (`test/bench/wedge.ts` reproduces it). So bulk writes go
 * in commands of at most this many statements, one after another.
 */
export const MAX_STATEMENTS = 8;

/**
 * Unordered bulk writes of `model`, straight to the driver (no casting: documents keyed by numbers or
 * strings, which the driver's types take for ObjectIds), MAX_STATEMENTS at a time.
 */
export async function bulkWrite(model: Model<any>, operations: ReadonlyArray<Record<string, unknown>>): Promise<void> {
  for (let start = 0; start < operations.length; start += MAX_STATEMENTS) {
    await model.collection.bulkWrite(operations.slice(start, start + MAX_STATEMENTS) as mongo.AnyBulkWriteOperation[], { ordered: false });
  }
}

/** Deletes of `model` by filter, batched; for deletes whose caller does not need to know whether one matched. */
export function batchedDeletes(model: Model<any>): (filter: Record<string, unknown>) => Promise<void> {
  return batched(async (filters) => {
    await bulkWrite(model, filters.map((filter) => ({ deleteOne: { filter } })));
    return filters.map(() => undefined);
  });
}

/** The per-document failures of an unordered bulk write, by index; undefined when the error is not one. */
function writeErrorsOf(error: unknown): Map<number, { code?: number; errmsg?: string }> | undefined {
  const writeErrors = (error as mongo.MongoBulkWriteError | undefined)?.writeErrors;
  if (!writeErrors || (error as Error).name !== 'MongoBulkWriteError') return undefined;
  const list = Array.isArray(writeErrors) ? writeErrors : [writeErrors];
  return new Map(list.map((failure) => [failure.index, { code: failure.code, errmsg: failure.errmsg }]));
}
