import type { Model, mongo } from 'mongoose';
import { isDuplicateKey } from './ids.js';

/**
 * Group commit: writes that arrive while a command of their kind is in flight go together in the next
 * one. A lone write leaves at once (the next turn of the event loop), so batching costs no latency
 * when the server is quiet, and under load one command carries many writes. On FerretDB an insert of 16
 * documents costs about what one of a single document costs (`npm run bench:write-ops`). Writes wait
 * for a command in flight at most PATIENCE_MS, then go in one of their own (a few at once at most):
 * a command the store never answers (it died under it) holds up its own writes only.
 */
const MAX_BATCH = 500;
const MAX_IN_FLIGHT = 4;
const PATIENCE_MS = 50;

export function batched<I, R>(run: (items: I[]) => Promise<Array<R | Error>>): (item: I) => Promise<R> {
  const queue: Array<{ item: I; resolve: (result: R) => void; reject: (error: unknown) => void }> = [];
  let inFlight = 0;
  let soon = false;
  let later: NodeJS.Timeout | undefined;
  const send = () => {
    soon = false;
    clearTimeout(later);
    later = undefined;
    if (queue.length === 0 || inFlight >= MAX_IN_FLIGHT) return;
    const batch = queue.splice(0, MAX_BATCH);
    inFlight += 1;
    run(batch.map((entry) => entry.item)).then(
      (results) => batch.forEach((entry, i) => (results[i] instanceof Error ? entry.reject(results[i]) : entry.resolve(results[i] as R))),
      (error: unknown) => batch.forEach((entry) => entry.reject(error)),
    ).finally(() => {
      inFlight -= 1;
      schedule();
    });
  };
  const schedule = () => {
    if (queue.length === 0 || soon) return;
    if (inFlight === 0) {
      soon = true;
      setImmediate(send);
    } else {
      later ??= setTimeout(send, PATIENCE_MS);
    }
  };
  return (item) => new Promise<R>((resolve, reject) => {
    queue.push({ item, resolve, reject });
    schedule();
  });
}

export type InsertOutcome = 'inserted' | 'duplicate';

/**
 * The store answered an insert without confirming every document, and without saying which failed:
 * FerretDB does so when its PostgreSQL dies under it. Nothing of the batch counts as written.
 */
export class UnconfirmedWrite extends Error {
  override name = 'UnconfirmedWrite';
}

/**
 * Inserts documents of `model`, batched: each resolves to 'inserted', or to 'duplicate' when a unique
 * index refused it. Documents go to the driver as they are (no casting, no defaults): callers give
 * complete documents of the schema's types.
 *
 * Ordered inserts, resumed after each refusal: FerretDB 1.24 answers an unordered insert as fully
 * done while its PostgreSQL is unreachable (nothing is written), an ordered one with the error.
 */
export function batchedInserts<T extends { _id: unknown }>(model: Model<any>): (doc: T) => Promise<InsertOutcome> {
  return batched<T, InsertOutcome>(async (docs) => {
    const outcomes: Array<InsertOutcome | Error> = [];
    while (outcomes.length < docs.length) {
      const rest = docs.slice(outcomes.length);
      try {
        const result = await model.collection.insertMany(rest as never[], { ordered: true });
        if (result.insertedCount !== rest.length) throw new UnconfirmedWrite(`the store confirmed ${result.insertedCount} of ${rest.length} inserts into ${model.collection.name}`);
        outcomes.push(...rest.map((): InsertOutcome => 'inserted'));
      } catch (error) {
        const failure = firstWriteError(error);
        if (!failure) throw error; // nothing is known of the documents not yet answered: they all fail
        outcomes.push(...rest.slice(0, failure.index).map((): InsertOutcome => 'inserted'));
        outcomes.push(isDuplicateKey(failure) ? 'duplicate' : Object.assign(new Error(failure.errmsg ?? 'insert failed'), { code: failure.code }));
      }
    }
    return outcomes;
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
 * Bulk writes of `model`, straight to the driver (no casting: documents keyed by numbers or strings,
 * which the driver's types take for ObjectIds), MAX_STATEMENTS at a time. Ordered, as inserts are
 * (batchedInserts): an unordered command can be answered as done by a FerretDB that wrote nothing.
 */
export async function bulkWrite(model: Model<any>, operations: ReadonlyArray<Record<string, unknown>>): Promise<void> {
  for (let start = 0; start < operations.length; start += MAX_STATEMENTS) {
    await model.collection.bulkWrite(operations.slice(start, start + MAX_STATEMENTS) as mongo.AnyBulkWriteOperation[], { ordered: true });
  }
}

/** The document an ordered insert stopped at, and why; undefined when the error is not such a refusal. */
function firstWriteError(error: unknown): { index: number; code?: number; errmsg?: string } | undefined {
  const writeErrors = (error as mongo.MongoBulkWriteError | undefined)?.writeErrors;
  if (!writeErrors || (error as Error).name !== 'MongoBulkWriteError') return undefined;
  const [first] = Array.isArray(writeErrors) ? writeErrors : [writeErrors];
  return first && { index: first.index, code: first.code, errmsg: first.errmsg };
}
