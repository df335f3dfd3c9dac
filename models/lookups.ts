import { EventEmitter } from 'node:events';
import type { Model } from 'mongoose';

/**
 * Lookups of several values in shapes that stay cheap on both stores. MongoDB answers `$in` and
 * `$or` from its indexes in one query. FerretDB pushes only equality on top-level fields down to
 * PostgreSQL, where the store's GIN indexes serve it; `$in`, `$or`, ranges and sorts it applies in
 * Go to every document of the collection. So on FerretDB a lookup of several values becomes one
 * equality query per value, all sent at once: one round trip of latency, and documents read
 * bounded by the values asked, not by the collection.
 */
let equalityOnly = false;

/** Set at connect time: true for FerretDB. */
export function useEqualityQueries(enabled: boolean): void {
  equalityOnly = enabled;
}

/** Emits `batch` with the number of queries sent at once for one lookup (the round-trip count's view of them). */
export const lookupEvents = new EventEmitter<{ batch: [number] }>();

type Filter = Record<string, unknown>;

type Projection = Record<string, 0 | 1>;

export interface Order {
  /** One numeric field and its direction. */
  sort: Record<string, 1 | -1>;
  limit: number;
}

/** The documents that match any of `filters` (each a conjunction of equalities), in `order` when given. */
export async function findAny<T>(model: Model<any>, filters: readonly Filter[], projection?: Projection, order?: Order): Promise<T[]> {
  if (filters.length === 0) return [];
  const query = (filter: Filter) => {
    const found = model.find(filter, projection);
    return (order ? found.sort(order.sort).limit(order.limit) : found).lean<T[]>();
  };
  if (!equalityOnly || filters.length === 1) return query(filters.length === 1 ? filters[0]! : { $or: filters });
  lookupEvents.emit('batch', filters.length);
  const docs = (await Promise.all(filters.map(query))).flat();
  if (!order) return docs;
  const [[field, direction]] = Object.entries(order.sort) as [[string, 1 | -1]];
  const key = (doc: T) => (doc as Record<string, number>)[field]!;
  return docs.sort((a, b) => direction * (key(a) - key(b))).slice(0, order.limit);
}

/** The documents whose `field` is one of `values` (and that match `also`). */
export async function findIn<T>(model: Model<any>, field: string, values: readonly unknown[], projection?: Projection, also: Filter = {}): Promise<T[]> {
  const distinct = [...new Set(values)];
  if (distinct.length === 0) return [];
  if (!equalityOnly) return model.find({ ...also, [field]: { $in: distinct } }, projection).lean<T[]>();
  return findAny<T>(model, distinct.map((value) => ({ ...also, [field]: value })), projection);
}

/** How many documents have each of `values` in `field`; values without any are absent. */
export async function countEach(model: Model<any>, field: string, values: readonly number[]): Promise<Map<number, number>> {
  const distinct = [...new Set(values)];
  if (distinct.length === 0) return new Map();
  if (!equalityOnly) {
    const rows = await model.aggregate<{ _id: number; n: number }>([
      { $match: { [field]: { $in: distinct } } },
      { $group: { _id: `$${field}`, n: { $sum: 1 } } },
    ]);
    return new Map(rows.map((row) => [row._id, row.n]));
  }
  if (distinct.length > 1) lookupEvents.emit('batch', distinct.length);
  const counts = await Promise.all(distinct.map((value) => model.countDocuments({ [field]: value })));
  return new Map(distinct.map((value, i) => [value, counts[i]!]).filter(([, n]) => n! > 0) as Array<[number, number]>);
}
