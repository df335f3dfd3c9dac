/**
 * How the hot requests' cost grows with the data: measures them on a small world, grows the world
 * through the public API by 100,000+ likes, follows, comments and messages, and measures again.
 *   npm run bench:scale -- [--users 300] [--videos 200] [--records 100000] [--seconds 4] [--connections 16]
 *                          [--sockets 2000] [--rate 200] [--push-seconds 10] [--cpu-prof]
 * Prints p50/p99 of each request on both worlds and their ratio, the write rate while growing, and
 * push latency (message/action to the recipient's socket) on the grown world. --cpu-prof profiles the
 * server over the whole run (node --cpu-prof) and prints where its time went, by package.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import pLimit from 'p-limit';
import { tinyVideo } from '../helpers/media.js';
import { startServer } from '../helpers/server.js';
import { startTestStore } from '../helpers/store.js';
import { percentile, seedUsers, type BenchUser } from './fixtures.js';
import { timeByPackage } from './profile.js';
import { awaitDeliveries, awaitQuiet, connectRecipients, sendAtRate, type PushProbe } from './push.js';
import { describeCommands, describeCosts, perWrite, spent } from './costs.js';
import { FOLD_MS } from '../../models/write-behind.js';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '300' },
    videos: { type: 'string', default: '200' },
    records: { type: 'string', default: '100000' },
    seconds: { type: 'string', default: '4' },
    connections: { type: 'string', default: '16' },
    sockets: { type: 'string', default: '2000' },
    rate: { type: 'string', default: '200' },
    'push-seconds': { type: 'string', default: '10' },
    'cpu-prof': { type: 'boolean', default: false },
  },
});
const { 'cpu-prof': profile, ...numbers } = values;
const options = Object.fromEntries(Object.entries(numbers).map(([name, value]) => [name, Number(value)])) as Record<keyof typeof numbers, number>;
// Kept after the run (not a temporaryDir): the profile is there to be opened.
const profileDir = profile ? mkdtempSync(path.join(tmpdir(), 'douyin-profile-')) : undefined;

const store = await startTestStore();
const mongoUrl = `${store.url}bench-scale`;
const everyone = await seedUsers(mongoUrl, Math.max(options.users, options.sockets));
const world = everyone.slice(0, options.users);
const server = await startServer({ MONGO_URL: mongoUrl }, { outputToFile: true, nodeArgs: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [] });
console.log(`store: ${store.description}`);

const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;
const videos = await publishVideos(options.videos);
const small = await measure('small');
const growth = await grow(options.records);
const grown = await measure('grown');
const push = await pushLatency();
report();

await server.stop();
await store.stop();
if (profileDir) console.log(`\nserver CPU profile (${profileDir}), by package:\n${timeByPackage(profileDir).join('\n')}`);

/**
 * Publishes through the API (multipart, like the app), 4 at a time (each runs ffmpeg: more would only
 * queue on the cores); one refused with 50001 (its deadline spent on a busy machine) is sent again
 * after its Retry-After, as the app would.
 */
async function publishVideos(count: number): Promise<number[]> {
  const clip = await tinyVideo();
  const limit = pLimit(4);
  await Promise.all(Array.from({ length: count }, (_, i) => limit(async () => {
    for (let attempt = 1; ; attempt += 1) {
      const form = new FormData();
      form.append('token', world[i % world.length]!.token);
      form.append('title', `video ${i}`);
      form.append('data', new Blob([clip], { type: 'video/mp4' }), 'clip.mp4');
      const response = await fetch(`${server.baseUrl}/douyin/publish/action/`, { method: 'POST', body: form });
      const body = (await response.json()) as { status_code: number };
      if (body.status_code === 0) return;
      if (body.status_code !== 50001 || attempt === 5) throw new Error(`publish failed: ${JSON.stringify(body)}`);
      await new Promise((resolve) => setTimeout(resolve, Number(response.headers.get('retry-after') ?? 2) * 1000));
    }
  })));
  const authors = world.slice(0, Math.min(count, world.length));
  const lists = await Promise.all(authors.map(async (author) => {
    const response = await fetch(`${server.baseUrl}/douyin/publish/list/?token=${author.token}&user_id=${author.id}`);
    return ((await response.json()) as { video_list: Array<{ id: number }> }).video_list.map((video) => video.id);
  }));
  return lists.flat();
}

type Costs = ReturnType<typeof perWrite>;
type Sample = { p50: number; p99: number; rate: number; failures: number; costs: Costs };
function serverProcess() {
  return { pid: server.child.pid!, baseUrl: server.baseUrl };
}
/** Whether a measured request is a write (its costs include the fold that follows it). */
function isWrite(name: string): boolean {
  return name.endsWith(' action');
}

/**
 * The costs of a phase of requests, per request: sampled before, and after the phase, or for writes
 * after the fold that follows it (counters are written behind).
 */
async function costOf(run: () => Promise<number>, { folds = true } = {}): Promise<Costs> {
  const before = await spent(serverProcess(), store.pid!);
  const requests = await run();
  if (folds) await new Promise((resolve) => setTimeout(resolve, FOLD_MS + 300));
  return perWrite(before, await spent(serverProcess(), store.pid!), requests);
}

/** The hot requests, each for `seconds` at `connections` concurrent clients, with random users and videos. */
async function measure(label: string): Promise<Map<string, Sample>> {
  const results = new Map<string, Sample>();
  const viewer = () => pick(world);
  const get = (path: (user: BenchUser) => string): autocannon.Request => ({
    setupRequest: (request) => ({ ...request, method: 'GET', path: path(viewer()) }),
  });
  const post = (path: (user: BenchUser) => string): autocannon.Request => ({
    setupRequest: (request) => ({ ...request, method: 'POST', path: path(viewer()) }),
  });
  const requests: Array<[string, autocannon.Request]> = [
    ['feed (anonymous)', get(() => '/douyin/feed/')],
    ['feed', get((me) => `/douyin/feed/?token=${me.token}`)],
    ['feed, older page', get((me) => `/douyin/feed/?token=${me.token}&latest_time=${Math.floor(Date.now() / 1000) - 1 - Math.floor(Math.random() * 30)}`)],
    ['user info', get((me) => `/douyin/user/?token=${me.token}&user_id=${pick(world).id}`)],
    ['publish list', get((me) => `/douyin/publish/list/?token=${me.token}&user_id=${pick(world).id}`)],
    ['favorite list', get((me) => `/douyin/favorite/list/?token=${me.token}&user_id=${pick(world).id}`)],
    ['follow list', get((me) => `/douyin/relation/follow/list/?token=${me.token}&user_id=${pick(world).id}`)],
    ['follower list', get((me) => `/douyin/relation/follower/list/?token=${me.token}&user_id=${pick(world).id}`)],
    ['friend list', get((me) => `/douyin/relation/friend/list/?token=${me.token}&user_id=${me.id}`)],
    ['comment list', get((me) => `/douyin/comment/list/?token=${me.token}&video_id=${pick(videos)}`)],
    ['chat history', get((me) => `/douyin/message/chat/?token=${me.token}&to_user_id=${other(me).id}`)],
    ['notification list', get((me) => `/douyin/notification/list/?token=${me.token}`)],
    ['favorite action', post((me) => `/douyin/favorite/action/?token=${me.token}&video_id=${pick(videos)}&action_type=${pick([1, 2])}`)],
    ['comment action', post((me) => `/douyin/comment/action/?token=${me.token}&video_id=${pick(videos)}&action_type=1&comment_text=measured`)],
    ['relation action', post((me) => `/douyin/relation/action/?token=${me.token}&to_user_id=${other(me).id}&action_type=${pick([1, 2])}`)],
    ['message action', post((me) => `/douyin/message/action/?token=${me.token}&to_user_id=${other(me).id}&action_type=1&content=measured`)],
  ];
  for (const [name, request] of requests) {
    let failures = 0;
    let result!: autocannon.Result;
    const run = async () => {
      result = await autocannon({
        url: server.baseUrl,
        connections: options.connections,
        duration: options.seconds,
        requests: [{ ...request, onResponse: (status, body) => (failures += status !== 200 || !body.includes('"status_code":0') ? 1 : 0) }],
      });
      return result.requests.total;
    };
    const costs = await costOf(run, { folds: isWrite(name) });
    results.set(name, { p50: result.latency.p50, p99: result.latency.p99, rate: result.requests.average, failures, costs });
    console.log(`${label}: ${name}: p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ${result.requests.average} req/s${failures ? `, ${failures} failures` : ''}; per request: ${describeCosts(costs)} (${describeCommands(costs)})`);
  }
  return results;
}

function other(me: BenchUser): BenchUser {
  const them = pick(world);
  return them === me ? world[(world.indexOf(me) + 1) % world.length]! : them;
}

/**
 * Grows the world by `records` writes through the API, `connections` at a time: distinct likes and
 * follows (each a new record), comments and messages, shuffled together.
 */
async function grow(records: number): Promise<{ writes: number; seconds: number; failures: number; costs: Costs }> {
  const plan = shuffled([
    ...distinctPairs(Math.round(records * 0.4), world.length, videos.length).map(([u, v]) => `/douyin/favorite/action/?token=${world[u]!.token}&video_id=${videos[v]}&action_type=1`),
    ...distinctPairs(Math.round(records * 0.2), world.length, world.length).map(([a, b]) => `/douyin/relation/action/?token=${world[a]!.token}&to_user_id=${world[b]!.id}&action_type=1`),
    ...Array.from({ length: Math.round(records * 0.2) }, (_, i) => `/douyin/comment/action/?token=${pick(world).token}&video_id=${pick(videos)}&action_type=1&comment_text=c${i}`),
    ...Array.from({ length: Math.round(records * 0.2) }, (_, i) => {
      const from = pick(world);
      return `/douyin/message/action/?token=${from.token}&to_user_id=${other(from).id}&action_type=1&content=m${i}`;
    }),
  ]);
  let failures = 0;
  let next = 0;
  let seconds = 0;
  const started = performance.now();
  const progress = setInterval(() => console.log(`growing: ${next} of ${plan.length} writes, ${(next / ((performance.now() - started) / 1000)).toFixed(0)}/s`), 10_000);
  const costs = await costOf(async () => {
    await autocannon({
      url: server.baseUrl,
      connections: options.connections,
      amount: plan.length,
      requests: [{
        setupRequest: (request) => ({ ...request, method: 'POST', path: plan[next++] ?? plan[0]! }),
        onResponse: (status, body) => (failures += status !== 200 || !body.includes('"status_code":0') ? 1 : 0),
      }],
    });
    seconds = (performance.now() - started) / 1000;
    return plan.length;
  });
  clearInterval(progress);
  console.log(`grown by ${plan.length} writes in ${seconds.toFixed(0)} s: ${(plan.length / seconds).toFixed(0)} writes/s, ${failures} failures; per write: ${describeCosts(costs)} (${describeCommands(costs)})`);
  return { writes: plan.length, seconds, failures, costs };
}

/** `count` distinct [a, b] index pairs with a in [0, as) and b in [0, bs), a ≠ b when both lists are one. */
function distinctPairs(count: number, as: number, bs: number): Array<[number, number]> {
  const seen = new Set<number>();
  const pairs: Array<[number, number]> = [];
  const possible = as * bs - (as === bs ? as : 0);
  while (pairs.length < Math.min(count, possible)) {
    const [a, b] = [Math.floor(Math.random() * as), Math.floor(Math.random() * bs)];
    if ((as === bs && a === b) || seen.has(a * bs + b)) continue;
    seen.add(a * bs + b);
    pairs.push([a, b]);
  }
  return pairs;
}

function shuffled<T>(list: T[]): T[] {
  for (let i = list.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
  return list;
}

/** message/action from world users to `sockets` connected users at `rate`/s; latency to their message:new. */
async function pushLatency(): Promise<{ p50: number; p99: number; delivered: number; sent: number }> {
  const receivers = everyone.slice(0, options.sockets);
  const probe: PushProbe = { pending: new Map(), latencies: [] };
  const sockets = await connectRecipients(server.realtimeUrl, receivers, probe);
  await awaitQuiet([server.baseUrl]);
  const total = options.rate * options['push-seconds'];
  await sendAtRate([server.baseUrl], world, receivers, { rate: options.rate, total, label: 'push' }, probe);
  await awaitDeliveries(probe, total);
  sockets.forEach((socket) => socket.disconnect());
  const sorted = probe.latencies.sort((x, y) => x - y);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), delivered: sorted.length, sent: total };
}

function report(): void {
  const rows = [...small].map(([name, before]) => {
    const after = grown.get(name)!;
    const ratio = after.p50 / Math.max(before.p50, 1);
    return `| ${name} | ${before.p50} / ${before.p99} | ${after.p50} / ${after.p99} | ${ratio.toFixed(2)}× | ${after.rate} | ${after.costs.commands.toFixed(1)} | ${after.costs.total.toFixed(2)} |${after.failures + before.failures ? ` ${after.failures + before.failures} failures` : ''}`;
  });
  console.log([
    '',
    `${store.description}; ${options.users} users, ${videos.length} videos; ${options.connections} concurrent clients, ${options.seconds} s per request`,
    '',
    '| request | small world p50 / p99 ms | grown world p50 / p99 ms | p50 growth | grown req/s | grown: store commands / request | grown: CPU ms / request (all) |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `growing: ${growth.writes} writes in ${growth.seconds.toFixed(0)} s = ${(growth.writes / growth.seconds).toFixed(0)} writes/s (${growth.failures} failures); per write: ${describeCosts(growth.costs)}`,
    '',
    '| write (grown world) | store commands / write | CPU ms / write: server | FerretDB | PostgreSQL | all | req/s |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...[...grown].flatMap(([name, { costs, rate }]) => (isWrite(name) ? [`| ${name} | ${costs.commands.toFixed(2)} | ${costs.server.toFixed(2)} | ${costs.ferretdb.toFixed(2)} | ${costs.postgres.toFixed(2)} | ${costs.total.toFixed(2)} | ${rate} |`] : [])),
    `push on the grown world, ${options.sockets} sockets, ${options.rate} msg/s: p50 ${push.p50.toFixed(1)} ms, p99 ${push.p99.toFixed(1)} ms, delivered ${push.delivered}/${push.sent}`,
  ].join('\n'));
}
