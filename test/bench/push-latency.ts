/**
 * Push latency: from a REST /douyin/message/action/ request to the recipient's socket receiving
 * message:new, with many connected clients and a steady message rate.
 *   npm run bench:push -- [--clients 2000] [--rate 200] [--seconds 10] [--runs 3] [--processes 1|2]
 * With two processes, messages are posted to A and every socket is connected to B (through Redis);
 * every user is seen once by A before measuring, as the sockets' handshakes did for B.
 */
import { parseArgs } from 'node:util';
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../../realtime/contract.js';
import { startTestRedis } from '../helpers/redis.js';
import { startServer } from '../helpers/server.js';
import { startTestStore } from '../helpers/store.js';
import { median, percentile, seedUsers } from './fixtures.js';

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

const pending = new Map<string, number>();
const latencies: number[] = [];
const sockets: Array<Socket<ServerToClientEvents, ClientToServerEvents>> = [];
for (let i = 0; i < users.length; i += 200) {
  await Promise.all(users.slice(i, i + 200).map((user) => new Promise<void>((resolve, reject) => {
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(b.realtimeUrl, { auth: { token: user.token }, transports: ['websocket'], reconnection: false });
    socket.on('message:new', (message) => {
      const sentAt = pending.get(message.content);
      if (sentAt === undefined || message.to_user_id !== user.id) return;
      pending.delete(message.content);
      latencies.push(performance.now() - sentAt);
    });
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
    sockets.push(socket);
  })));
}

// Steady state: active users are in the process's caches. Sockets warmed B's; warm A's the same way.
if (twoProcesses) {
  for (let i = 0; i < users.length; i += 50) {
    await Promise.all(users.slice(i, i + 50).map((user) => fetch(`${a.baseUrl}/douyin/user/?token=${user.token}`).then((response) => response.text())));
  }
}

const results: Array<{ p50: number; p99: number; delivered: number; sent: number }> = [];
for (let run = 0; run < runs; run += 1) {
  latencies.length = 0;
  const total = rate * seconds;
  const started = performance.now();
  const requests: Array<Promise<unknown>> = [];
  for (let n = 0; n < total; n += 1) {
    const due = started + (n * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const from = users[Math.floor(Math.random() * users.length)]!;
    let to = users[Math.floor(Math.random() * users.length)]!;
    if (to === from) to = users[(users.indexOf(from) + 1) % users.length]!;
    const content = `bench ${run} ${n}`;
    pending.set(content, performance.now());
    const body = new URLSearchParams({ token: from.token, to_user_id: String(to.id), action_type: '1', content });
    requests.push(fetch(`${a.baseUrl}/douyin/message/action/`, { method: 'POST', body }).then((response) => response.text()));
  }
  await Promise.all(requests);
  const deadline = performance.now() + 5_000;
  while (latencies.length < total && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  const sorted = [...latencies].sort((x, y) => x - y);
  results.push({ p50: percentile(sorted, 50), p99: percentile(sorted, 99), delivered: latencies.length, sent: total });
  console.log(`run ${run + 1}: p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, delivered ${latencies.length}/${total}, achieved ${(total / ((performance.now() - started) / 1000)).toFixed(0)} msg/s`);
  pending.clear();
}
console.log(
  `push latency, ${clients} clients, ${rate} msg/s, ${twoProcesses ? 'two processes via Redis' : 'one process'}: ` +
    `median p50 ${median(results.map((r) => r.p50)).toFixed(1)} ms, median p99 ${median(results.map((r) => r.p99)).toFixed(1)} ms over ${runs} runs`,
);

sockets.forEach((socket) => socket.disconnect());
await Promise.all([a.stop(), b.stop()]);
await redis?.stop();
await store.stop();
