/**
 * What one database operation costs on the store the tests use (FerretDB on SQLite here), and how an
 * _id lookup scales with the collection for numeric and for string ids.
 *   npm run bench:store -- [--docs 10000]
 */
import { parseArgs } from 'node:util';
import mongoose from 'mongoose';
import { startTestStore } from '../helpers/store.js';

const { values } = parseArgs({ options: { docs: { type: 'string', default: '10000' } } });
const docs = Number(values.docs);
const store = await startTestStore();
await mongoose.connect(`${store.url}bench-store`);
const db = mongoose.connection.db!;

async function timePerOp(work: (i: number) => Promise<unknown>, count = 50): Promise<string> {
  const started = performance.now();
  for (let i = 0; i < count; i += 1) await work(i);
  return ((performance.now() - started) / count).toFixed(2);
}

console.log(`store: ${store.description}`);
for (const [kind, key] of [['numeric', (i: number) => i + 1], ['string', (i: number) => `u${i + 1}`]] as const) {
  const collection = db.collection<{ _id: number | string; n: number }>(`ids_${kind}`);
  for (let start = 0; start < docs; start += 1_000) {
    await collection.insertMany(Array.from({ length: Math.min(1_000, docs - start) }, (_, j) => ({ _id: key(start + j), n: j })));
  }
  const step = Math.floor(docs / 50);
  console.log(`${kind} _id, ${docs} documents: findOne ${await timePerOp((i) => collection.findOne({ _id: key(i * step) }))} ms, ` +
    `updateOne ${await timePerOp((i) => collection.updateOne({ _id: key(i * step) }, { $inc: { n: 1 } }))} ms, ` +
    `insertOne ${await timePerOp((i) => collection.insertOne({ _id: key(docs + i), n: 0 }))} ms`);
}
await mongoose.disconnect();
await store.stop();
