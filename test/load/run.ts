/**
 * `npm run load`: seeds a data set, starts a server (rate limits off: all the load comes from one
 * address), runs the REST and the Socket.IO artillery scenarios against it, and prints their reports.
 *   npm run load -- [--users 200] [--scenario rest|socket|all]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { closeDatabase, openDatabase } from '../../models/db.js';
import { nextId } from '../../models/ids.js';
import { publish } from '../../models/videos.js';
import { PROJECT_ROOT } from '../../server/paths.js';
import { seedUsers } from '../bench/fixtures.js';
import { startServer } from '../helpers/server.js';
import { startTestStore } from '../helpers/store.js';

const { values } = parseArgs({ options: { users: { type: 'string', default: '200' }, scenario: { type: 'string', default: 'all' } } });
const LOAD_DIR = path.join(PROJECT_ROOT, 'test/load');
const ARTILLERY = path.join(LOAD_DIR, 'node_modules/.bin/artillery');

const store = await startTestStore();
const mongoUrl = `${store.url}load`;
console.log(`seeding ${values.users} users (in pairs that chat) and 60 videos`);
const users = await seedUsers(mongoUrl, Number(values.users));
await openDatabase(mongoUrl);
for (let i = 0; i < 60; i += 1) {
  const id = nextId();
  await publish({ id, authorId: users[i % users.length]!.id, title: `seeded ${i}`, videoKey: `videos/${id}.mp4`, coverKey: `covers/${id}.jpg` });
}
await closeDatabase();
const csv = users.map((user, i) => `${user.token},${users[i ^ 1]?.id ?? users[0]!.id}`).join('\n');
await writeFile(path.join(LOAD_DIR, 'users.csv'), `token,peer_id\n${csv}\n`);

const server = await startServer({ MONGO_URL: mongoUrl });
let failed = false;
try {
  for (const scenario of values.scenario === 'all' ? ['rest', 'socket'] : [values.scenario!]) {
    console.log(`\n=== artillery: ${scenario}.yml ===`);
    const child = spawn(ARTILLERY, ['run', path.join(LOAD_DIR, `${scenario}.yml`)], {
      stdio: 'inherit',
      env: { ...process.env, TARGET: server.baseUrl, REALTIME_TARGET: server.realtimeUrl, ARTILLERY_DISABLE_TELEMETRY: 'true' },
    });
    const [code] = (await once(child, 'exit')) as [number | null];
    if (code !== 0) failed = true;
  }
} finally {
  await server.stop();
  await store.stop();
  await rm(path.join(LOAD_DIR, 'users.csv'), { force: true });
}
process.exit(failed ? 1 : 0);
