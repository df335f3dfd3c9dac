/**
 * The ramp's verdicts, as pure functions of what a step measured: did a step stay within budget, where
 * is the knee (the highest rate that did), and what saturated first.
 */

/** What one step of the ramp measured: artillery's figures and the resources sampled meanwhile. */
export interface Step {
  /** Virtual users started per second. */
  rate: number;
  /** Requests (REST) or messages (Socket.IO) completed per second. */
  throughput: number;
  p50: number;
  /** The worst p99 among the step's latencies (REST response, socket ack, push), in ms. */
  p99: number;
  errors: number;
  usage: Usage;
}

/** Resources over a step: CPU in cores (1 = one core busy all the step), event-loop lag in ms. */
export interface Usage {
  serverCores: number;
  /** FerretDB and the PostgreSQL processes under it. */
  storeCores: number;
  /** The artillery processes. */
  loadCores: number;
  /** Every process on the machine, the others' included. */
  machineCores: number;
  /** Cores of the machine. */
  cores: number;
  /** The highest p99 event-loop lag the server reported during the step. */
  lagP99Ms: number;
}

export function withinBudget(step: Pick<Step, 'p99' | 'errors'>, budgetMs: number): boolean {
  return step.errors === 0 && step.p99 <= budgetMs;
}

/**
 * The knee: the last step before the first one over budget (or with errors), if that step passed.
 * `limitFound` is false when the ramp ended (step or time cap) with every step within budget: the
 * knee is then at least the last rate.
 */
export function kneeOf(steps: readonly Step[], budgetMs: number): { knee?: Step; over?: Step; limitFound: boolean } {
  const first = steps.findIndex((step) => !withinBudget(step, budgetMs));
  if (first === -1) return { knee: steps.at(-1), limitFound: false };
  return { knee: first > 0 ? steps[first - 1] : undefined, over: steps[first], limitFound: true };
}

/** Thresholds of saturation: a Node.js process runs its JavaScript on one core. */
export const SATURATED = { serverCores: 0.9, machineShare: 0.9, lagP99Ms: 50 } as const;

export type Resource = 'server CPU' | 'store CPU' | 'load generator CPU' | 'other processes\' CPU' | 'event-loop lag';

/**
 * What a step saturated, if anything: the server's one JavaScript core; else, with every core of the
 * machine busy, whoever used the most of them (the store, artillery, or processes outside the test);
 * else the server's event loop lagging (GC, synchronous work, or starved by the machine).
 */
export function saturatedIn(usage: Usage): Resource | undefined {
  if (usage.serverCores >= SATURATED.serverCores) return 'server CPU';
  if (usage.machineCores >= SATURATED.machineShare * usage.cores) {
    const others = Math.max(0, usage.machineCores - usage.serverCores - usage.storeCores - usage.loadCores);
    const shares: Array<[Resource, number]> = [['server CPU', usage.serverCores], ['store CPU', usage.storeCores], ['load generator CPU', usage.loadCores], ['other processes\' CPU', others]];
    return shares.reduce((most, share) => (share[1] > most[1] ? share : most))[0];
  }
  if (usage.lagP99Ms >= SATURATED.lagP99Ms) return 'event-loop lag';
  return undefined;
}

/** The first step (in the order run) that saturated something, and what. */
export function firstSaturation(steps: readonly Step[]): { step: Step; resource: Resource } | undefined {
  for (const step of steps) {
    const resource = saturatedIn(step.usage);
    if (resource) return { step, resource };
  }
  return undefined;
}

export function describeUsage(usage: Usage): string {
  const cores = (n: number) => n.toFixed(2);
  return `server ${cores(usage.serverCores)}, store ${cores(usage.storeCores)}, artillery ${cores(usage.loadCores)}, machine ${cores(usage.machineCores)}/${usage.cores} cores; event-loop lag p99 ${usage.lagP99Ms.toFixed(0)} ms`;
}

export interface Units {
  /** What arrives: "sessions/s", "chat users/s". */
  rate: string;
  /** What throughput counts: "req/s", "msg/s". */
  throughput: string;
}

/** The `knee:` line of one scenario. */
export function kneeLine(scenario: string, steps: readonly Step[], budgetMs: number, units: Units): string {
  const { knee, over, limitFound } = kneeOf(steps, budgetMs);
  const at = (step: Step) => `${step.rate} ${units.rate} (${step.throughput.toFixed(0)} ${units.throughput}), p50 ${step.p50.toFixed(0)} ms, p99 ${step.p99.toFixed(0)} ms, ${step.errors} errors`;
  const head = knee
    ? `knee: ${scenario}: ${limitFound ? '' : 'at least '}${at(knee)} within p99 ${budgetMs} ms`
    : `knee: ${scenario}: below the first step`;
  const next = over ? `; next step over: ${at(over)}` : limitFound ? '' : '; the ramp ended before p99 left the budget';
  const first = firstSaturation(steps);
  const saturation = first ? `saturated first: ${first.resource} at ${first.step.rate} ${units.rate} (${describeUsage(first.step.usage)})` : 'nothing saturated: CPU and event loop had room';
  return `${head}${next}; ${saturation}`;
}
