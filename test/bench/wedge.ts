/**
 * Reproduces a FerretDB 1.24 fault: update commands carrying many statements at once (one command of
 * 64, or 16 commands of 8) wedge the store for good, PostgreSQL idle; 32 do not. Hence
 * MAX_STATEMENTS in models/write-batch.ts.
 *   node dist/test/bench/wedge.js updates|dups|inserts|deletes|updateMany|finds [commands at once] [statements each]
 * e.g. `updates 1 64` wedges (every command then times out), `updates 4 8` does not.
 */
import mongoose from 'mongoose';
import { startTestStore } from '../helpers/store.js';
const store = await startTestStore();
const kind = process.argv[2];
const width = Number(process.argv[3] ?? 100);
const size = Number(process.argv[4] ?? 8);
const client = new mongoose.mongo.MongoClient(`${store.url}`, { socketTimeoutMS: 8000, maxPoolSize: 100 });
await client.connect();
const db = client.db('wedge');
const edges = db.collection<any>('edges');
await edges.createIndex({ a: 1, b: 1 }, { unique: true });
const users = db.collection<any>('users');
await users.insertMany(Array.from({ length: 300 }, (_, i) => ({ _id: i, n: 0 })));
let seq = 1;
const t0 = Date.now();
async function round(i: number) {
  switch (kind) {
    case 'dups': return edges.insertMany(Array.from({ length: 8 }, (_, j) => ({ _id: seq++, a: (i * 3 + j) % 40, b: 1 })), { ordered: false }).catch((e) => e.name);
    case 'inserts': return edges.insertMany(Array.from({ length: 8 }, () => ({ _id: seq++, a: seq, b: 2 })), { ordered: false });
    case 'updates': return users.bulkWrite(Array.from({ length: size }, (_, j) => ({ updateOne: { filter: { _id: (i * size + j) % 300 }, update: { $inc: { n: 1 } } } })), { ordered: false });
    case 'deletes': return edges.bulkWrite(Array.from({ length: 8 }, (_, j) => ({ deleteOne: { filter: { a: (i + j) % 40, b: 1 } } })), { ordered: false });
    case 'updateMany': return users.updateMany({}, { $inc: { n: 1 } });
    case 'finds': return users.findOne({ _id: i % 300 });
  }
}
for (let wave = 0; wave < 10; wave++) {
  const results = await Promise.allSettled(Array.from({ length: width }, (_, i) => round(wave * width + i)));
  const failed = results.filter((r) => r.status === 'rejected');
  console.log(kind, 'wave', wave, 'ms', Date.now() - t0, 'failed', failed.length, failed[0] && (failed[0] as PromiseRejectedResult).reason?.message);
  if (failed.length) break;
}
await client.close();
await store.stop();
