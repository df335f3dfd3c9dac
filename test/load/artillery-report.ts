/** What the ramp reads from an artillery JSON report (`artillery run --output`): its aggregate. */
export interface ArtilleryReport {
  aggregate: {
    counters: Record<string, number>;
    summaries: Record<string, { p50: number; p99: number; count: number }>;
    firstCounterAt?: number;
    lastCounterAt?: number;
  };
}

/** Latency, throughput and errors of one artillery run. */
export interface Figures {
  p50: number;
  p99: number;
  /** Requests or messages completed, per second of the run (from its first to its last counted event). */
  throughput: number;
  errors: number;
}

/** Which summaries hold the latencies, and which counter the work done. */
export const REST = { latencies: ['http.response_time'], done: 'http.responses' } as const;
export const SOCKET = { latencies: ['socket.send_ack_ms', 'socket.push_ms'], done: 'socket.messages_sent' } as const;

/**
 * Errors: failed virtual users or the errors that failed them (artillery counts both; the larger), HTTP
 * answers of 4xx/5xx, and failed `expect` checks (a status_code other than 0), which fail no user.
 */
export function errorsOf(counters: Record<string, number>): number {
  const sum = (test: (name: string) => boolean) => Object.entries(counters).reduce((total, [name, n]) => total + (test(name) ? n : 0), 0);
  const failures = Math.max(counters['vusers.failed'] ?? 0, sum((name) => name.startsWith('errors.')));
  return failures + sum((name) => /^http\.codes\.[45]\d\d$/.test(name)) + (counters['plugins.expect.failed'] ?? 0);
}

/** The run's figures: p50 of the first latency, the worst p99 of all, errors, work done. */
export function figuresOf(report: ArtilleryReport, kind: { latencies: readonly string[]; done: string }): Figures {
  const { counters, summaries, firstCounterAt = 0, lastCounterAt = 0 } = report.aggregate;
  const present = kind.latencies.flatMap((name) => summaries[name] ?? []);
  const seconds = Math.max(1, (lastCounterAt - firstCounterAt) / 1000);
  return {
    p50: present[0]?.p50 ?? 0,
    p99: Math.max(0, ...present.map((summary) => summary.p99)),
    throughput: (counters[kind.done] ?? 0) / seconds,
    errors: errorsOf(counters),
  };
}

/** Runs at once (REST and chat): the worst latencies, the errors of all, the first's throughput. */
export function combined(runs: readonly Figures[]): Figures {
  return {
    p50: Math.max(...runs.map((run) => run.p50)),
    p99: Math.max(...runs.map((run) => run.p99)),
    throughput: runs[0]!.throughput,
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
  };
}
