import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../../realtime/contract.js';
import type { BenchUser } from './fixtures.js';

export type BenchSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Messages sent and not yet received, by content, with the time they were sent; and the latencies of those received. */
export interface PushProbe {
  pending: Map<string, number>;
  latencies: number[];
}

/** Connects one websocket per user, 200 at a time; each records the latency of the probe's messages addressed to it. */
export async function connectRecipients(realtimeUrl: string, users: readonly BenchUser[], probe: PushProbe): Promise<BenchSocket[]> {
  const sockets: BenchSocket[] = [];
  for (let i = 0; i < users.length; i += 200) {
    await Promise.all(users.slice(i, i + 200).map((user) => new Promise<void>((resolve, reject) => {
      const socket: BenchSocket = io(realtimeUrl, { auth: { token: user.token }, transports: ['websocket'], reconnection: false });
      socket.on('message:new', (message) => {
        const sentAt = probe.pending.get(message.content);
        if (sentAt === undefined || message.to_user_id !== user.id) return;
        probe.pending.delete(message.content);
        probe.latencies.push(performance.now() - sentAt);
      });
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
      sockets.push(socket);
    })));
  }
  return sockets;
}

/**
 * Posts `total` messages through REST at `rate` per second, each from a random sender to a random
 * other recipient, to the `restUrls` in turn, noting when each was sent; resolves, when every request
 * has answered, with who sent each message to whom.
 */
export async function sendAtRate(
  restUrls: readonly string[],
  senders: readonly BenchUser[],
  recipients: readonly BenchUser[],
  { rate, total, label }: { rate: number; total: number; label: string },
  probe: PushProbe,
): Promise<Array<{ from: BenchUser; to: BenchUser }>> {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;
  const started = performance.now();
  const requests: Array<Promise<unknown>> = [];
  const sent: Array<{ from: BenchUser; to: BenchUser }> = [];
  for (let n = 0; n < total; n += 1) {
    const wait = started + (n * 1000) / rate - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const from = pick(senders);
    let to = pick(recipients);
    if (to.id === from.id) to = recipients[(recipients.indexOf(to) + 1) % recipients.length]!;
    sent.push({ from, to });
    const content = `${label} ${n}`;
    probe.pending.set(content, performance.now());
    const body = new URLSearchParams({ token: from.token, to_user_id: String(to.id), action_type: '1', content });
    requests.push(fetch(`${restUrls[n % restUrls.length]}/douyin/message/action/`, { method: 'POST', body }).then((response) => response.text()));
  }
  await Promise.all(requests);
  return sent;
}

/** Waits up to five seconds for `expected` deliveries. */
export async function awaitDeliveries(probe: PushProbe, expected: number): Promise<void> {
  const deadline = performance.now() + 5_000;
  while (probe.latencies.length < expected && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
}

/**
 * Waits until the servers have digested what came before the measurement (the last handshakes'
 * presence and friend lookups, requests that warmed their caches): until `/healthz` answers within
 * 10 ms ten times in a row on each, for at most 30 s. Measuring steady pushes, not that tail.
 */
export async function awaitQuiet(baseUrls: readonly string[]): Promise<void> {
  const deadline = performance.now() + 30_000;
  for (const baseUrl of baseUrls) {
    for (let quick = 0; quick < 10 && performance.now() < deadline;) {
      const started = performance.now();
      await fetch(`${baseUrl}/healthz`).then((response) => response.text());
      quick = performance.now() - started < 10 ? quick + 1 : 0;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
