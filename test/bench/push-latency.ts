/**
 * Push latency: from a REST /douyin/message/action/ request to the recipient's socket receiving
 * message:new, with many connected clients and a steady message rate.
 *   npm run bench:push -- [--clients 2000] [--rate 200] [--seconds 10] [--runs 3] [--processes 1|2]
 * With two processes, messages are posted to A and every socket is connected to B (through Redis);
 * every user is seen once by A before measuring, as the sockets' handshakes did for B.
 */
import { parseArgs } from 'node:util';
import { startTestRedis } from '../helpers/redis.js';
import { startServer } from '../helpers/server.js';
import { startTestStore } from '../helpers/store.js';
import { median, percentile, seedUsers } from './fixtures.js';
import { awaitDeliveries, connectRecipients, sendAtRate, type PushProbe } from './push.js';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '2000' },
    rate: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '10' },
    runs: { type: 'string', default: '3' },
    processes: { type: 'string', default: '1' },
  },
});
const clients = Number(values.clients);
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const runs = Number(values.runs);
const twoProcesses = values.processes === '2';

const store = await startTestStore();
const redis = twoProcesses ? await startTestRedis() : undefined;
const env = { MONGO_URL: `${store.url}bench`, ...(redis ? { REDIS_URL: redis.url } : {}) };
const a = await startServer(env, { outputToFile: true });
const b = twoProcesses ? await startServer(env, { outputToFile: true }) : a;
const users = await seedUsers(env.MONGO_URL, clients);

const probe: PushProbe = { pending: new Map(), latencies: [] };
const sockets = await connectRecipients(b.realtimeUrl, users, probe);

// Steady state: active users are in the process's caches. Sockets warmed B's; warm A's the same way.
if (twoProcesses) {
  for (let i = 0; i < users.length; i += 50) {
    await Promise.all(users.slice(i, i + 50).map((user) => fetch(`${a.baseUrl}/douyin/user/?token=${user.token}`).then((response) => response.text())));
  }
}

const results: Array<{ p50: number; p99: number; delivered: number; sent: number }> = [];
for (let run = 0; run < runs; run += 1) {
  probe.latencies.length = 0;
  const total = rate * seconds;
  const started = performance.now();
  await sendAtRate(a.baseUrl, users, users, { rate, total, label: `bench ${run}` }, probe);
  await awaitDeliveries(probe, total);
  const latencies = probe.latencies;
  const sorted = [...latencies].sort((x, y) => x - y);
  results.push({ p50: percentile(sorted, 50), p99: percentile(sorted, 99), delivered: latencies.length, sent: total });
  console.log(`run ${run + 1}: p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, delivered ${latencies.length}/${total}, achieved ${(total / ((performance.now() - started) / 1000)).toFixed(0)} msg/s`);
  probe.pending.clear();
}
console.log(
  `push latency, ${clients} clients, ${rate} msg/s, ${twoProcesses ? 'two processes via Redis' : 'one process'}: ` +
    `median p50 ${median(results.map((r) => r.p50)).toFixed(1)} ms, median p99 ${median(results.map((r) => r.p99)).toFixed(1)} ms over ${runs} runs`,
);

sockets.forEach((socket) => socket.disconnect());
await Promise.all([a.stop(), b.stop()]);
await redis?.stop();
await store.stop();
