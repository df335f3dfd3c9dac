/**
 * Requests per second and p99 latency of hot REST paths at 50 concurrent connections, next to a bare
 * Koa server measured in the same run (the ratio is this server's overhead).
 *   npm run bench:http -- [--seconds 10] [--runs 3] [--connections 50] [--only feed] [--cpu-prof]
 * --only keeps the paths whose name contains the word (bare Koa always runs); --cpu-prof profiles the
 * server (node --cpu-prof) and prints the functions with the most self time.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { closeDatabase, openDatabase } from '../../models/db.js';
import { Follow } from '../../models/follow.js';
import { nextId } from '../../models/ids.js';
import { publish } from '../../models/videos.js';
import { PROJECT_ROOT } from '../../server/paths.js';
import { startServer } from '../helpers/server.js';
import { startTestStore } from '../helpers/store.js';
import { median, seedUsers } from './fixtures.js';
import { hottestFunctions } from './profile.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    runs: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    only: { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const runs = Number(values.runs);
const connections = Number(values.connections);

const store = await startTestStore();
const mongoUrl = `${store.url}bench-http`;
const users = await seedUsers(mongoUrl, 200);
const [popular, viewer] = [users[0]!, users[1]!];
await openDatabase(mongoUrl);
const videoIds: number[] = [];
for (let i = 0; i < 40; i += 1) {
  const id = nextId();
  videoIds.push(id);
  await publish({ id, authorId: users[i % 10]!.id, title: `video ${i}`, videoKey: `videos/${id}.mp4`, coverKey: `covers/${id}.jpg` });
}
await Follow.insertMany(users.slice(2).map((fan) => ({ _id: nextId(), followerId: fan.id, followeeId: popular.id })));
await closeDatabase();

const profileDir = values['cpu-prof'] ? mkdtempSync(path.join(tmpdir(), 'douyin-profile-')) : undefined;
const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
const server = await startServer({ MONGO_URL: mongoUrl }, { outputToFile: true, nodeArgs });
const bare = spawn(process.execPath, [`${PROJECT_ROOT}dist/test/bench/bare-koa.js`], { stdio: ['ignore', 'pipe', 'inherit'] });
const [line] = (await once(createInterface({ input: bare.stdout! }), 'line')) as [string];
const bareUrl = `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}/`;

let likeToggle = 0;
const targets: Array<[string, autocannon.Options]> = [
  ['bare Koa', { url: bareUrl }],
  ['feed (anonymous)', { url: `${server.baseUrl}/douyin/feed/` }],
  ['user info (popular user)', { url: `${server.baseUrl}/douyin/user/?token=${viewer.token}&user_id=${popular.id}` }],
  ['favorite action', {
    url: `${server.baseUrl}/douyin/favorite/action/`,
    method: 'POST',
    requests: [{ setupRequest: (request) => ({ ...request, path: `/douyin/favorite/action/?token=${viewer.token}&video_id=${videoIds[0]}&action_type=${(likeToggle++ % 2) + 1}` }) }],
  }],
];

const table: string[] = [];
for (const [name, options] of targets.filter(([name], i) => i === 0 || !values.only || name.includes(values.only))) {
  const rates: number[] = [];
  const p99s: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const result = await autocannon({ connections, duration: seconds, ...options });
    if (result.non2xx > 0 || result.errors > 0) console.warn(`${name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
    rates.push(result.requests.average);
    p99s.push(result.latency.p99);
  }
  table.push(`| ${name} | ${median(rates).toFixed(0)} | ${median(p99s).toFixed(1)} |`);
  console.log(table.at(-1));
}
const bareRate = Number(table[0]!.split('|')[2]);
console.log(`\n${connections} connections, ${seconds} s × ${runs} runs, medians:\n| path | requests/s | p99 ms |\n| --- | --- | --- |\n${table.join('\n')}`);
for (const row of table.slice(1)) console.log(`${row.split('|')[1]!.trim()}: ${((Number(row.split('|')[2]) / bareRate) * 100).toFixed(0)} % of bare Koa`);

bare.kill();
await server.stop();
await store.stop();
if (profileDir) {
  console.log(`\nserver CPU profile (${profileDir}), most self time:\n| samples | function | where |\n| --- | --- | --- |\n${hottestFunctions(profileDir).join('\n')}`);
}
