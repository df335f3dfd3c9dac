/**
 * What a page of a popular owner costs the store, by the shape of its query: an owner with 100,000
 * entries (and 100,000 entries of other owners beside it), read as today (equality on the owner,
 * sorted and limited: FerretDB sorts in Go), by a shelf key (one equality matching one shelf), by the
 * owner and a shelf number (two equalities), and a flag (owner and target) of that owner.
 *   node dist/test/bench/shelf-ops.js [--entries 100000] [--shelf 512]
 * The figures behind models/shelves.ts.
 */
import mongoose from 'mongoose';
import { parseArgs } from 'node:util';
import { startTestStore } from '../helpers/store.js';
import { storeCpu } from './costs.js';

const { values } = parseArgs({ options: { entries: { type: 'string', default: '100000' }, shelf: { type: 'string', default: '512' } } });
const ENTRIES = Number(values.entries);
const SHELF = Number(values.shelf);
const OWNER = 7;

const store = await startTestStore();
await mongoose.connect(`${store.url}shelfops`);
const entries = mongoose.connection.db!.collection<any>('entries');
await entries.createIndex({ owner: 1, to: 1 }, { unique: true });
await entries.createIndex({ owner: 1, _id: -1 });
await entries.createIndex({ sk: 1 });
await entries.createIndex({ owner: 1, n: 1 });
// Other owners' shelves are numbered from 0 too, as every owner's are.
const doc = (i: number, owner: number, n: number) => ({ _id: i, owner, to: i, sk: `${owner}:${n}`, n, text: 'x'.repeat(40) });
for (let start = 0; start < ENTRIES; start += 1000) {
  const ids = Array.from({ length: Math.min(1000, ENTRIES - start) }, (_, i) => start + i);
  await entries.insertMany([...ids.map((i) => doc(i, OWNER, Math.floor(i / SHELF))), ...ids.map((i) => doc(ENTRIES + i, 1_000 + (i % 500), Math.floor(i / 500 / SHELF)))], { ordered: true });
}
await new Promise((resolve) => setTimeout(resolve, 3_000)); // the store mirrors indexes as GIN every 2 s
console.log(`${ENTRIES} entries of one owner, ${ENTRIES} of 500 others; shelves of ${SHELF}`);

async function measure(label: string, times: number, run: (i: number) => Promise<unknown>): Promise<void> {
  const before = storeCpu(store.pid!);
  const t0 = performance.now();
  for (let i = 0; i < times; i += 1) await run(i);
  const ms = (performance.now() - t0) / times;
  const after = storeCpu(store.pid!);
  const cpu = ((after.own - before.own + after.postgres - before.postgres) * 1000) / times;
  console.log(`${label}: ${ms.toFixed(1)} ms wall, ${cpu.toFixed(1)} ms store CPU each`);
}

const shelves = Math.ceil(ENTRIES / SHELF);
const shelf = (i: number) => (i * 37) % shelves;
await measure('today: {owner} sort _id -1 limit 30', 3, () => entries.find({ owner: OWNER }).sort({ _id: -1 }).limit(30).toArray());
await measure('today, deep: {owner, _id < c} sort limit 30', 3, () => entries.find({ owner: OWNER, _id: { $lt: 1000 } }).sort({ _id: -1 }).limit(30).toArray());
await measure('{sk: "owner:n"}', 30, (i) => entries.find({ sk: `${OWNER}:${shelf(i)}` }).toArray());
await measure('{owner, n}', 30, (i) => entries.find({ owner: OWNER, n: shelf(i) }).toArray());
await measure('flag {owner, to}', 100, (i) => entries.findOne({ owner: OWNER, to: (i * 7919) % ENTRIES }));
await measure('count {sk}', 30, (i) => entries.countDocuments({ sk: `${OWNER}:${shelf(i)}` }));
await measure(`updateMany {sk} -> new sk (${SHELF} docs)`, 3, (i) => entries.updateMany({ sk: `${OWNER}:${shelf(i)}` }, { $set: { sk: `${OWNER}:moved${i}` } }));
await mongoose.disconnect();
await store.stop();
