import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { storeCpu } from '../bench/costs.js';
import type { Usage } from './knee.js';

export interface Watched {
  serverPid: number;
  /** FerretDB (PostgreSQL runs under it). */
  storePid: number;
  /** The server's REST URL: its /metrics, served to loopback. */
  baseUrl: string;
  /** The artillery processes of the step, as they are now. */
  loadPids: () => readonly number[];
}

interface Snapshot {
  at: number;
  server: number;
  store: number;
  /** CPU seconds by artillery process, the last seen of each (they exit before the step's last sample). */
  load: Map<number, number>;
  machine: number;
}

const SAMPLE_MS = 1_000;

/** Samples CPU (from /proc) and the server's event-loop lag (from /metrics) from now until `stop`. */
export function sampleUsage(watched: Watched): { stop(): Promise<Usage> } {
  const first = snapshot(watched, new Map());
  let last = first;
  let lagP99Ms = 0;
  const sample = async () => {
    last = snapshot(watched, last.load);
    lagP99Ms = Math.max(lagP99Ms, await eventLoopLagP99Ms(watched.baseUrl));
  };
  const timer = setInterval(() => void sample().catch(() => undefined), SAMPLE_MS);
  return {
    async stop() {
      clearInterval(timer);
      await sample().catch(() => undefined);
      const seconds = (last.at - first.at) / 1000;
      const cores = (spent: number) => Math.max(0, spent / seconds);
      const loadSpent = [...last.load].reduce((sum, [pid, cpu]) => sum + cpu - (first.load.get(pid) ?? 0), 0);
      return {
        serverCores: cores(last.server - first.server),
        storeCores: cores(last.store - first.store),
        loadCores: cores(loadSpent),
        machineCores: cores(last.machine - first.machine),
        cores: availableParallelism(),
        lagP99Ms,
      };
    },
  };
}

function snapshot(watched: Watched, seen: ReadonlyMap<number, number>): Snapshot {
  const store = storeCpu(watched.storePid);
  const load = new Map(seen);
  for (const pid of watched.loadPids()) {
    const tree = storeCpu(pid);
    if (tree.own > 0) load.set(pid, tree.own + tree.postgres); // own and descendants; 0: gone
  }
  return { at: performance.now(), server: storeCpu(watched.serverPid).own, store: store.own + store.postgres, load, machine: machineCpu() };
}

const CLOCK_TICKS = 100;

/** CPU seconds all cores have been busy since boot (/proc/stat: user, nice, system, irq, softirq, steal). */
function machineCpu(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS;
}

/** prom-client's nodejs_eventloop_lag_p99_seconds, in ms: the lag since its last collection (the previous sample). */
async function eventLoopLagP99Ms(baseUrl: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(SAMPLE_MS) })).text();
  const match = /^nodejs_eventloop_lag_p99_seconds (\S+)$/m.exec(text);
  return match ? Number(match[1]) * 1000 : 0;
}
