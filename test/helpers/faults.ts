import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { MessageView } from '../../realtime/contract.js';
import type { Recorder } from './sockets.js';

/**
 * Tools for tests that break a dependency under traffic: timed requests that never wait forever, a
 * readiness watcher, the processes under a store process, a server's open descriptors and metrics.
 */

/** The default request budget (REQUEST_DEADLINE_MS), set explicitly where it is what a test tests. */
export const DEFAULT_BUDGET = { REQUEST_DEADLINE_MS: '5000' } as const;

/** What a client saw of one request or socket event. */
export interface Outcome {
  what: string;
  /** When it was sent, epoch ms. */
  at: number;
  /** How long its answer took; undefined when none came within CLIENT_WAIT_MS (it hung). */
  ms: number | undefined;
  httpStatus?: number;
  code?: number;
  retryAfter?: string | null;
  /** What the client gave to make a retry recognisable (client_msg_id), or what it wrote. */
  key?: string;
  body?: Record<string, any>;
}

/** How long a client waits for any answer before the test counts the request as hanging. */
export const CLIENT_WAIT_MS = 12_000;

export interface RestAnswer {
  httpStatus: number;
  body: Record<string, any>;
  retryAfter: string | null;
}

/** One REST request with form parameters (or a query for GET), given up after CLIENT_WAIT_MS. */
export async function rest(baseUrl: string, method: 'GET' | 'POST', path: string, params: Record<string, string | number> = {}): Promise<RestAnswer> {
  const url = new URL(path, baseUrl);
  const form = new URLSearchParams(Object.entries(params).map(([name, value]): [string, string] => [name, String(value)]));
  if (method === 'GET') url.search = form.toString();
  const response = await fetch(url, { method, body: method === 'POST' ? form : undefined, signal: AbortSignal.timeout(CLIENT_WAIT_MS) });
  return { httpStatus: response.status, body: (await response.json()) as Record<string, any>, retryAfter: response.headers.get('retry-after') };
}

/** A socket event with an acknowledgement, given up after CLIENT_WAIT_MS. */
export function ack(socket: Recorder, event: 'message:send' | 'message:sync' | 'notification:sync', payload: unknown): Promise<Record<string, any>> {
  return socket.socket.timeout(CLIENT_WAIT_MS).emitWithAck(event, payload as never) as Promise<Record<string, any>>;
}

type Action = (round: number) => { what: string; key?: string; answer: Promise<RestAnswer | Record<string, any>> } | undefined;

/**
 * A little traffic: every `periodMs` each action sends one request without waiting for the previous
 * ones, and what each got back is kept.
 */
export class Traffic {
  readonly outcomes: Outcome[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private round = 0;

  constructor(private readonly actions: Action[], private readonly periodMs = 300) {}

  start(): void {
    this.fire();
    this.timer = setInterval(() => this.fire(), this.periodMs);
  }

  /** Stops sending and waits for every answer (or its client-side give-up). */
  async stop(): Promise<Outcome[]> {
    clearInterval(this.timer);
    await Promise.all([...this.inFlight]);
    return this.outcomes;
  }

  private fire(): void {
    const round = this.round++;
    for (const action of this.actions) {
      const request = action(round);
      if (!request) continue;
      const at = Date.now();
      const done = request.answer.then(
        (answer) => {
          const ms = Date.now() - at;
          const outcome: Outcome = 'httpStatus' in answer && 'body' in answer
            ? { what: request.what, at, ms, httpStatus: answer.httpStatus, code: answer.body.status_code, retryAfter: answer.retryAfter, body: answer.body }
            : { what: request.what, at, ms, code: answer.status_code, body: answer };
          this.outcomes.push({ ...outcome, key: request.key });
        },
        () => void this.outcomes.push({ what: request.what, at, ms: undefined, key: request.key }),
      );
      this.inFlight.add(done);
      void done.then(() => this.inFlight.delete(done));
    }
  }
}

export interface ReadinessSample {
  at: number;
  answeredAt: number;
  status: number;
  checks: Record<string, string>;
}

/** Asks /readyz every `periodMs` (one at a time) until stopped. */
export function watchReadiness(baseUrl: string, periodMs = 250) {
  const samples: ReadinessSample[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const at = Date.now();
      try {
        const response = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(CLIENT_WAIT_MS) });
        const body = (await response.json()) as { checks: Record<string, string> };
        samples.push({ at, answeredAt: Date.now(), status: response.status, checks: body.checks });
      } catch {
        samples.push({ at, answeredAt: Date.now(), status: 0, checks: {} });
      }
      await sleep(Math.max(0, periodMs - (Date.now() - at)));
    }
  })();
  return {
    samples,
    async stop() {
      running = false;
      await loop;
      return samples;
    },
  };
}

/** Every process descending from `pid` (a store's PostgreSQL under FerretDB), from /proc; `depth` 1: its children. */
export function descendants(pid: number, depth = Infinity): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const found = new Set<number>();
  let generation = [pid];
  for (let level = 0; level < depth && generation.length > 0; level += 1) {
    const next = [...parents].filter(([child, parent]) => generation.includes(parent) && !found.has(child)).map(([child]) => child);
    next.forEach((child) => found.add(child));
    generation = next;
  }
  return [...found];
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits until none of `pids` runs any more (a killed store's PostgreSQL shutting down), at most `ms`. */
export async function gone(pids: number[], ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (pids.some(isAlive)) {
    if (Date.now() > deadline) throw new Error(`still running after ${ms} ms: ${pids.filter(isAlive).join(', ')}`);
    await sleep(100);
  }
}

/** How many descriptors a process holds open. */
export function openDescriptors(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** One descriptor a process holds: a TCP socket with its two ports, or anything else by its target. */
export type Descriptor = { tcp: { local: number; remote: number } } | { target: string };

/** What a process holds open (TCP sockets resolved through /proc/net/tcp*). */
export function descriptorsOf(pid: number): Descriptor[] {
  const tcp = new Map<string, { local: number; remote: number }>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      const port = (address: string) => parseInt(address.split(':')[1]!, 16);
      tcp.set(fields[9]!, { local: port(fields[1]!), remote: port(fields[2]!) });
    }
  }
  const held: Descriptor[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    const socket = tcp.get(/^socket:\[(\d+)\]$/.exec(target)?.[1] ?? '');
    held.push(socket ? { tcp: socket } : { target });
  }
  return held;
}

/** Descriptors counted by kind (TCP by the remote port, the rest by target), for messages. */
export function countByKind(descriptors: Descriptor[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const held of descriptors) {
    const kind = 'tcp' in held ? (held.tcp.remote === 0 ? 'listening' : `tcp to ${held.tcp.remote}`) : held.target.replace(/\d+/g, 'N');
    counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

/** Every message between the socket's user and `otherId`, through message:sync. */
export async function everyMessage(socket: Recorder, otherId: number): Promise<MessageView[]> {
  const all = new Map<number, MessageView>();
  for (let cursor = 0; ;) {
    const page = await ack(socket, 'message:sync', { to_user_id: otherId, after_id: cursor });
    if (page.status_code !== 0) throw new Error(JSON.stringify(page));
    for (const message of page.message_list as MessageView[]) all.set(message.id, message);
    cursor = Math.max(cursor, ...(page.message_list as MessageView[]).map((message) => message.id));
    if (!page.has_more) return [...all.values()];
  }
}

/** The value of an unlabelled series of a server's /metrics. */
export async function metric(baseUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(CLIENT_WAIT_MS) })).text();
  const line = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  if (!line) throw new Error(`no ${name} in /metrics`);
  return Number(line[1]);
}

/** Tries `probe` every 250 ms until it holds, at most `ms`; whether it did. */
export async function eventually(probe: () => Promise<boolean> | boolean, ms: number): Promise<boolean> {
  for (const deadline = Date.now() + ms; ;) {
    if (await Promise.resolve(probe()).catch(() => false)) return true;
    if (Date.now() > deadline) return false;
    await sleep(250);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
