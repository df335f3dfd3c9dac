/**
 * Database round trips per request of every list endpoint, for a list of 1 and of 30 entries, with
 * empty caches (the worst case) and with warm ones.
 *   npm run bench:round-trips
 */
import { closeDatabase } from '../../models/db.js';
import { countCommands, LISTS, seedRoundTripData } from '../helpers/round-trips.js';
import { startTestStore } from '../helpers/store.js';

const store = await startTestStore();
const data = await seedRoundTripData(`${store.url}bench-round-trips`);
const rows = ['| list | 1 entry | 30 entries | 30 entries, warm caches |', '| --- | --- | --- | --- |'];
for (const [name, list] of LISTS) {
  const one = await countCommands(() => list(data, 'single'));
  const many = await countCommands(() => list(data, 'prolific'));
  const warm = await countCommands(() => list(data, 'prolific'), { warm: true });
  rows.push(`| ${name} | ${one.commands} | ${many.commands} (${many.result.length} entries) | ${warm.commands} |`);
}
console.log(rows.join('\n'));
await closeDatabase();
await store.stop();
