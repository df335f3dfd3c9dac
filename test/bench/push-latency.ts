/**
 * Push latency: from a REST /douyin/message/action/ request to the recipient's socket receiving
 * message:new, with many connected clients and a steady message rate.
 *   npm run bench:push -- [--clients 2000] [--rate 200] [--seconds 10] [--runs 3] [--processes 1|2|4]
 *                         [--adapter sharded|classic|classic,sharded]
 * Two processes: messages are posted to A and every socket is connected to B (through Redis). Three
 * or more (fan-out): the sockets are spread evenly over the processes and messages are posted to
 * them in turn; each node's Redis packets and CPU per pushed message are reported, for each adapter
 * named (`classic,sharded`: one after the other, each on processes of its own). Every user is seen
 * once by each process that takes posts before measuring, as the sockets' handshakes did for theirs.
 */
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import type { RedisAdapterKind } from '../../realtime/adapter.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { startServer, type ServerProcess } from '../helpers/server.js';
import { startTestStore } from '../helpers/store.js';
import { packetsForHeldUsers, sample, type Sample } from './fan-out.js';
import { median, percentile, seedUsers, type BenchUser } from './fixtures.js';
import { awaitDeliveries, awaitQuiet, connectRecipients, sendAtRate, type PushProbe } from './push.js';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '2000' },
    rate: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '10' },
    runs: { type: 'string', default: '3' },
    processes: { type: 'string', default: '1' },
    adapter: { type: 'string', default: 'sharded' },
  },
});
const clients = Number(values.clients);
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const runs = Number(values.runs);
const processes = Number(values.processes);
const adapters = values.adapter.split(',');
if (!Number.isInteger(processes) || processes < 1) throw new Error('--processes must be 1 or more');
if (!adapters.every((name): name is RedisAdapterKind => name === 'sharded' || name === 'classic')) throw new Error('--adapter must be sharded, classic or classic,sharded');

interface NodeFigures {
  sockets: number;
  /** Per pushed message. */
  packets: number;
  packetsForOthers: number;
  cpuMs: number;
}
interface RunFigures {
  p50: number;
  p99: number;
  nodes: NodeFigures[];
  redisCpuMs: number;
}

const store = await startTestStore();
const redis = processes > 1 ? await startTestRedis() : undefined;
const summaries: Array<{ adapter: string; runs: RunFigures[] }> = [];
for (const adapter of redis ? adapters : ['none']) summaries.push({ adapter, runs: await measure(adapter, redis) });
if (redis && processes > 2) printFanOut(summaries);
await redis?.stop();
await store.stop();

/** Starts the processes with `adapter`, connects the sockets, and measures `runs` runs. */
async function measure(adapter: string, redis: TestRedis | undefined): Promise<RunFigures[]> {
  const env = { MONGO_URL: `${store.url}bench-${adapter}`, ...(redis ? { REDIS_URL: redis.url, REDIS_ADAPTER: adapter } : {}) };
  const servers = await Promise.all(Array.from({ length: processes }, () => startServer(env, { outputToFile: true })));
  const users = await seedUsers(env.MONGO_URL, clients);
  const posts = servers.length === 2 ? [servers[0]!] : servers;
  const homes = servers.length === 2 ? [servers[1]!] : servers;
  const homeOf = new Map(users.map((user, i) => [user, servers.indexOf(homes[i % homes.length]!)]));
  const usersOf = (node: number) => users.filter((user) => homeOf.get(user) === node);
  const probe: PushProbe = { pending: new Map(), latencies: [] };
  const sockets = (await Promise.all(servers.map((server, node) => connectRecipients(server.realtimeUrl, usersOf(node), probe)))).flat();
  for (const server of posts) await warm(server, users.filter((user) => servers[homeOf.get(user)!] !== server));
  await awaitQuiet(servers.map((server) => server.baseUrl));

  const client = redis ? new Redis(redis.url) : undefined;
  const processIds = servers.map((server) => ({ pid: server.child.pid!, baseUrl: server.baseUrl }));
  const results: RunFigures[] = [];
  for (let run = 0; run < runs; run += 1) {
    probe.latencies.length = 0;
    const total = rate * seconds;
    const before = client ? await sample(processIds, client) : undefined;
    const started = performance.now();
    const sent = await sendAtRate(posts.map((server) => server.baseUrl), users, users, { rate, total, label: `bench ${run}` }, probe);
    await awaitDeliveries(probe, total);
    const achieved = total / ((performance.now() - started) / 1000);
    const after = client ? await sample(processIds, client) : undefined;
    const sorted = [...probe.latencies].sort((x, y) => x - y);
    const [p50, p99] = [percentile(sorted, 50), percentile(sorted, 99)];
    const placement = { of: (user: BenchUser) => homeOf.get(user)!, sockets: (node: number) => usersOf(node).length };
    const nodes = before && after ? nodeFigures(before, after, sent, placement, adapter as RedisAdapterKind) : [];
    results.push({ p50, p99, nodes, redisCpuMs: before && after ? ((after.redisCpu - before.redisCpu) * 1000) / sent.length : NaN });
    console.log(`run ${run + 1}${redis ? ` (${adapter} adapter)` : ''}: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, delivered ${sorted.length}/${total}, achieved ${achieved.toFixed(0)} msg/s`);
    probe.pending.clear();
  }
  const layout = processes === 1 ? 'one process' : processes === 2 ? `two processes via Redis (${adapter} adapter)` : `${processes} processes via Redis (${adapter} adapter)`;
  console.log(
    `push latency, ${clients} clients, ${rate} msg/s, ${layout}: ` +
      `median p50 ${median(results.map((r) => r.p50)).toFixed(1)} ms, median p99 ${median(results.map((r) => r.p99)).toFixed(1)} ms over ${runs} runs`,
  );
  client?.disconnect();
  sockets.forEach((socket) => socket.disconnect());
  await Promise.all(servers.map((server) => server.stop()));
  return results;
}

/** Steady state: active users are in the process's caches, as the handshakes put its own sockets' users. */
async function warm(server: ServerProcess, users: readonly BenchUser[]): Promise<void> {
  for (let i = 0; i < users.length; i += 50) {
    await Promise.all(users.slice(i, i + 50).map((user) => fetch(`${server.baseUrl}/douyin/user/?token=${user.token}`).then((response) => response.text())));
  }
}

function nodeFigures(
  before: Sample,
  after: Sample,
  sent: ReadonlyArray<{ from: BenchUser; to: BenchUser }>,
  placement: { of: (user: BenchUser) => number; sockets: (node: number) => number },
  adapter: RedisAdapterKind,
): NodeFigures[] {
  return before.cpu.map((_, node) => {
    const packets = after.packets[node]! - before.packets[node]!;
    return {
      sockets: placement.sockets(node),
      packets: packets / sent.length,
      packetsForOthers: (packets - packetsForHeldUsers(sent, placement.of, node, adapter)) / sent.length,
      cpuMs: ((after.cpu[node]! - before.cpu[node]!) * 1000) / sent.length,
    };
  });
}

function printFanOut(results: Array<{ adapter: string; runs: RunFigures[] }>): void {
  const med = (list: RunFigures[], pick: (run: RunFigures) => number) => median(list.map(pick));
  const lines = [
    '',
    `Fan-out: ${processes} processes, ${clients} sockets spread evenly, ${rate} msg/s to single users posted to the processes in turn, ${seconds} s, medians over ${runs} runs.`,
    'Redis packets: pub/sub messages the node\'s adapter received (and decoded), per pushed message; "for users elsewhere": those for rooms it has no socket in.',
    'CPU: the node process\'s user + system time over the window, per pushed message (every message, not the node\'s share).',
    '',
    '| adapter | node | sockets | Redis packets / msg | for users elsewhere / msg | CPU ms / msg |',
    '| --- | --- | --- | --- | --- | --- |',
    ...results.flatMap(({ adapter, runs: list }) =>
      list[0]!.nodes.map((node, i) =>
        `| ${adapter} | ${i + 1} | ${node.sockets} | ${med(list, (r) => r.nodes[i]!.packets).toFixed(2)} | ${med(list, (r) => r.nodes[i]!.packetsForOthers).toFixed(2)} | ${med(list, (r) => r.nodes[i]!.cpuMs).toFixed(2)} |`,
      ),
    ),
    '',
    '| adapter | push p50 ms | push p99 ms | Redis packets / msg, all nodes | CPU ms / msg, all nodes | redis-server CPU ms / msg |',
    '| --- | --- | --- | --- | --- | --- |',
    ...results.map(({ adapter, runs: list }) => {
      const sum = (run: RunFigures, pick: (node: NodeFigures) => number) => run.nodes.reduce((total, node) => total + pick(node), 0);
      return `| ${adapter} | ${med(list, (r) => r.p50).toFixed(1)} | ${med(list, (r) => r.p99).toFixed(1)} | ${med(list, (r) => sum(r, (n) => n.packets)).toFixed(2)} | ${med(list, (r) => sum(r, (n) => n.cpuMs)).toFixed(2)} | ${med(list, (r) => r.redisCpuMs).toFixed(3)} |`;
    }),
  ];
  console.log(lines.join('\n'));
}
