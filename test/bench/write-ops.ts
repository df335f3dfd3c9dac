/**
 * What one store command costs the store in CPU (FerretDB and its PostgreSQL, from /proc), single and
 * batched: inserts, updates, finds and deletes, 2,000 of each against 1,000 documents.
 *   npm run bench:write-ops
 * The figures behind the write path's shape (models/write-batch.ts, models/write-behind.ts).
 */
import mongoose from 'mongoose';
import { startTestStore } from '../helpers/store.js';
import { storeCpu } from './costs.js';

const store = await startTestStore();
await mongoose.connect(`${store.url}opcosts`);
const db = mongoose.connection.db!;
const users = db.collection<any>('users');
const edges = db.collection<any>('edges');
await edges.createIndex({ a: 1, b: 1 }, { unique: true });
await users.insertMany(Array.from({ length: 1000 }, (_, i) => ({ _id: i, n: 0, m: 0, name: `user${i}`, pad: 'x'.repeat(100) })));
let seq = 1e6;
async function measure(label: string, writes: number, run: () => Promise<unknown>, commands: number) {
  const before = storeCpu(store.pid!);
  const t0 = performance.now();
  await run();
  const ms = performance.now() - t0;
  const after = storeCpu(store.pid!);
  const f = ((after.own - before.own) * 1000) / writes;
  const p = ((after.postgres - before.postgres) * 1000) / writes;
  console.log(`${label}: ${writes} operations in ${commands} commands, ${(ms / writes).toFixed(2)} ms wall each, CPU each: FerretDB ${f.toFixed(2)}, PostgreSQL ${p.toFixed(2)}, both ${(f + p).toFixed(2)} ms`);
}
const N = 2000;
const rnd = () => Math.floor(Math.random() * 1000);
await measure('insertOne', N, async () => { for (let i = 0; i < N; i++) await edges.insertOne({ _id: seq++, a: seq, b: 1 }); }, N);
await measure('insertOne x16 parallel', N, async () => { for (let i = 0; i < N; i += 16) await Promise.all(Array.from({ length: 16 }, () => edges.insertOne({ _id: seq++, a: seq, b: 1 }))); }, N);
await measure('insertMany 16', N, async () => { for (let i = 0; i < N; i += 16) await edges.insertMany(Array.from({ length: 16 }, () => ({ _id: seq++, a: seq, b: 1 })), { ordered: false }); }, N / 16);
await measure('updateOne $inc', N, async () => { for (let i = 0; i < N; i++) await users.updateOne({ _id: rnd() }, { $inc: { n: 1 } }); }, N);
await measure('findOneAndUpdate $inc', N, async () => { for (let i = 0; i < N; i++) await users.findOneAndUpdate({ _id: rnd() }, { $inc: { n: 1 } }, { returnDocument: 'after' }); }, N);
await measure('bulkWrite 16 $inc', N, async () => { for (let i = 0; i < N; i += 16) await users.bulkWrite(Array.from({ length: 16 }, () => ({ updateOne: { filter: { _id: rnd() }, update: { $inc: { n: 1 } } } })), { ordered: false }); }, N / 16);
await measure('updateOne $inc 2 fields', N, async () => { for (let i = 0; i < N; i++) await users.updateOne({ _id: rnd() }, { $inc: { n: 1, m: 1 } }); }, N);
await measure('findOne by _id', N, async () => { for (let i = 0; i < N; i++) await users.findOne({ _id: rnd() }); }, N);
await measure('find 16 by _id parallel', N, async () => { for (let i = 0; i < N; i += 16) await Promise.all(Array.from({ length: 16 }, () => users.findOne({ _id: rnd() }))); }, N);
await measure('deleteOne by a,b', 500, async () => { for (let i = 0; i < 500; i++) await edges.deleteOne({ a: 1e6 + 10 + i, b: 1 }); }, 500);
await measure('findOneAndDelete by a,b', 500, async () => { for (let i = 0; i < 500; i++) await edges.findOneAndDelete({ a: 1e6 + 600 + i, b: 1 }); }, 500);
await measure('deleteOne by a,b, none there', 500, async () => { for (let i = 0; i < 500; i++) await edges.deleteOne({ a: 1e6 + 10 + i, b: 1 }); }, 500);
await measure('findOneAndDelete by a,b, none there', 500, async () => { for (let i = 0; i < 500; i++) await edges.findOneAndDelete({ a: 1e6 + 600 + i, b: 1 }); }, 500);
await measure('findOne by a,b', 500, async () => { for (let i = 0; i < 500; i++) await edges.findOne({ a: 1e6 + 1200 + i, b: 1 }); }, 500);
await measure('insertMany 16, one a duplicate', N, async () => {
  for (let i = 0; i < N; i += 16) {
    await edges.insertMany([{ _id: seq++, a: 1e6 + 1200 + (i % 500), b: 1 }, ...Array.from({ length: 15 }, () => ({ _id: seq++, a: seq, b: 1 }))], { ordered: false }).catch(() => undefined);
  }
}, N / 16);
await measure('insertOne, duplicate of a,b', 500, async () => { for (let i = 0; i < 500; i++) await edges.insertOne({ _id: seq++, a: 1e6 + 1200 + i, b: 1 }).catch(() => undefined); }, 500);
// duplicates in an unordered insertMany
try {
  await edges.insertMany([{ _id: 1, a: 1, b: 9 }, { _id: 2, a: 1, b: 9 }, { _id: 3, a: 2, b: 9 }], { ordered: false });
} catch (error: any) {
  console.log('dup insertMany:', error.name, error.code, JSON.stringify(error.writeErrors?.map((e: any) => [e.index, e.code])), 'inserted', error.result?.insertedCount ?? error.insertedCount);
}
console.log('docs', await edges.countDocuments({ b: 9 }));
await mongoose.disconnect();
await store.stop();
