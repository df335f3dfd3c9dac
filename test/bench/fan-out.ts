import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import type { RedisAdapterKind } from '../../realtime/adapter.js';
import type { BenchUser } from './fixtures.js';

/** What each server process and Redis had spent when sampled. */
export interface Sample {
  /** CPU seconds (user + system) of each server process. */
  cpu: number[];
  /** Pub/sub messages each server's adapter had received from Redis (its /metrics counter). */
  packets: number[];
  /** CPU seconds of redis-server (INFO cpu). */
  redisCpu: number;
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

/** utime + stime of a process, from /proc/<pid>/stat (fields 14 and 15, after the command name). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

async function adapterPackets(baseUrl: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const count = /^realtime_adapter_packets_received_total (\d+)$/m.exec(text)?.[1];
  if (count === undefined) throw new Error(`${baseUrl}/metrics has no realtime_adapter_packets_received_total`);
  return Number(count);
}

async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)![1]);
  return field('used_cpu_user') + field('used_cpu_sys');
}

export async function sample(servers: ReadonlyArray<{ pid: number; baseUrl: string }>, redis: Redis): Promise<Sample> {
  return {
    cpu: servers.map((server) => cpuSeconds(server.pid)),
    packets: await Promise.all(servers.map((server) => adapterPackets(server.baseUrl))),
    redisCpu: await redisCpuSeconds(redis),
  };
}

/**
 * How many of the packets node `node` received were for users it holds, from where the bench put
 * each user's socket. A message is a packet to the recipient's room and one to the sender's (the
 * sender's other sockets) on the sharded adapter, one packet for both rooms on the classic one; the
 * rest of what a node receives is for users elsewhere.
 */
export function packetsForHeldUsers(
  sent: ReadonlyArray<{ from: BenchUser; to: BenchUser }>,
  homeOf: (user: BenchUser) => number,
  node: number,
  adapter: RedisAdapterKind,
): number {
  let held = 0;
  for (const { from, to } of sent) {
    const [toHere, fromHere] = [homeOf(to) === node, homeOf(from) === node];
    held += adapter === 'sharded' ? Number(toHere) + Number(fromHere) : Number(toHere || fromHere);
  }
  return held;
}
