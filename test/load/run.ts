/**
 * `npm run load`: seeds a data set with the seed command (as the console demo does), starts a server
 * (rate limits off: all the load comes from one address), runs the REST and the Socket.IO artillery
 * scenarios against it, and prints their reports.
 *   npm run load -- [--users 200] [--scenario rest|socket|all]
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import jwt from 'jsonwebtoken';
import { closeDatabase, openDatabase } from '../../models/db.js';
import { User } from '../../models/user.js';
import { PROJECT_ROOT } from '../../server/paths.js';
import { startServer, TEST_JWT_SECRET } from '../helpers/server.js';
import { startTestStore } from '../helpers/store.js';

const { values } = parseArgs({ options: { users: { type: 'string', default: '200' }, scenario: { type: 'string', default: 'all' } } });
const LOAD_DIR = path.join(PROJECT_ROOT, 'test/load');
const ARTILLERY = path.join(LOAD_DIR, 'node_modules/.bin/artillery');
const SEED = path.join(PROJECT_ROOT, 'dist/server/tools/seed.js');

const store = await startTestStore();
const mongoUrl = `${store.url}load`;
const dataDir = await mkdtemp(path.join(tmpdir(), 'douyin-load-'));
console.log(`seeding with npm run seed: ${values.users} users, 12 videos (neighbours are friends who chatted)`);
const seedArgs = ['--users', values.users!, '--videos', '12', '--follows', '1', '--likes', '2', '--comments', '1', '--messages', '2'];
await promisify(execFile)(process.execPath, [SEED, ...seedArgs], { env: { ...process.env, MONGO_URL: mongoUrl, DATA_DIR: dataDir } });
await openDatabase(mongoUrl);
const seeded = await User.find({ usernameKey: /^seed_\d+$/ }, { _id: 1 }).sort({ usernameKey: 1 }).lean();
await closeDatabase();
// Seed users i and i+1 are friends: each virtual user chats with a neighbour. Tokens are signed with
// the server's secret rather than logged in for, so the scenarios measure the API, not argon2.
const token = (id: number) => jwt.sign({}, TEST_JWT_SECRET, { subject: String(id), expiresIn: 3600 });
const csv = seeded.map((user, i) => `${token(user._id)},${seeded[i ^ 1]?._id ?? seeded[i - 1]!._id}`).join('\n');
await writeFile(path.join(LOAD_DIR, 'users.csv'), `token,peer_id\n${csv}\n`);

const server = await startServer({ MONGO_URL: mongoUrl, DATA_DIR: dataDir });
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
  await rm(dataDir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
