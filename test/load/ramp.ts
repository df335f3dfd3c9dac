import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import path from 'node:path';
import { combined, figuresOf, REST, SOCKET, type ArtilleryReport } from './artillery-report.js';
import { runArtillery } from './artillery.js';
import { renderChart } from './chart.js';
import { describeUsage, kneeLine, kneeOf, withinBudget, type Step, type Units } from './knee.js';
import { ladder } from './ladder.js';
import { sampleUsage } from './usage-sampler.js';
import { peerOf, startLoadWorld, tokenOf, type LoadWorld, type RowsOf } from './world.js';

export interface RampOptions {
  budgetMs: number;
  stepSeconds: number;
  maxSteps: number;
  /** The whole run, seeding included. */
  maxMinutes: number;
  users: number;
  outDir: string;
}

/** 100,000 follows, likes, comments and messages among `users` (2,000: 40,000 + 30,000 + 10,000 + 20,000), 16 real clips. */
function seedArgs(users: number): string[] {
  const videos = 16;
  const comments = Math.ceil((5 * users) / videos);
  return ['--users', String(users), '--videos', String(videos), '--follows', '10', '--likes', '15', '--comments', String(comments), '--messages', '10'];
}

/** Each user 5 times, each time with a random video to like and comment on and a random user to follow. */
const rows: RowsOf = (users, videos) => Array.from({ length: 5 }, () => users.map((id, i) => ({
  token: tokenOf(id), peerId: peerOf(users, i), peerToken: tokenOf(peerOf(users, i)), myId: id,
  videoId: videos[Math.floor(Math.random() * videos.length)]!, otherId: users[Math.floor(Math.random() * users.length)]!,
}))).flat().filter((row) => row.otherId !== row.myId);

/** One artillery run of a step: which scenario file, read how, at what rate. */
interface Load {
  file: string;
  kind: typeof REST | typeof SOCKET;
  rate: number;
}

interface Scenario {
  name: string;
  units: Units;
  rates: number[];
  /** What runs at once in the step at `rate`. */
  loads(rate: number): Load[];
}

const REST_UNITS = { rate: 'sessions/s', throughput: 'req/s' };
const CHAT_UNITS = { rate: 'chat users/s', throughput: 'msg/s' };
/** What a step takes beyond its phase: artillery starting, and the last users finishing. */
const STEP_OVERHEAD_S = 15;

export async function ramp(options: RampOptions): Promise<void> {
  const deadline = Date.now() + options.maxMinutes * 60_000;
  await mkdir(options.outDir, { recursive: true });
  console.log(`ramp: seeding ${options.users} users with 100,000 follows, likes, comments and messages (npm run seed)`);
  const seedStarted = Date.now();
  const world = await startLoadWorld(seedArgs(options.users), rows);
  const seedSeconds = (Date.now() - seedStarted) / 1000;
  console.log(`ramp: world ready in ${seedSeconds.toFixed(0)} s; load average ${loadavg().map((n) => n.toFixed(2)).join(', ')}`);
  const results: Array<{ scenario: string; units: Units; steps: Step[] }> = [];
  try {
    const rest = scenario('rest', REST_UNITS, ladder(2, 1.5, options.maxSteps), (rate) => [{ file: 'rest-ramp', kind: REST, rate }]);
    const chat = scenario('socket', CHAT_UNITS, ladder(4, 1.5, options.maxSteps), (rate) => [{ file: 'socket', kind: SOCKET, rate }]);
    for (const [index, next] of [rest, chat].entries()) {
      results.push(await runScenario(world, next, options, shareOf(deadline, 3 - index)));
    }
    // Chat held at half its knee while REST ramps: does chat stay live while REST is busy?
    const chatRate = Math.max(1, Math.floor((kneeOf(results[1]!.steps, options.budgetMs).knee?.rate ?? 2) / 2));
    const both = scenario(`both (chat ${chatRate} users/s)`, REST_UNITS, rest.rates, (rate) => [{ file: 'rest-ramp', kind: REST, rate }, { file: 'socket', kind: SOCKET, rate: chatRate }]);
    results.push(await runScenario(world, both, options, shareOf(deadline, 1)));
  } finally {
    await world.stop();
  }
  await report(results, options, seedSeconds);
}

function scenario(name: string, units: Units, rates: number[], loads: (rate: number) => Load[]): Scenario {
  return { name, units, rates, loads };
}

/** The time the next scenario may take: what is left, shared among the scenarios left. */
function shareOf(deadline: number, scenariosLeft: number): number {
  return Date.now() + (deadline - Date.now()) / scenariosLeft;
}

/** Steps up the rates until one leaves the budget, the rates run out, or the next step would pass `until`. */
async function runScenario(world: LoadWorld, scenario: Scenario, options: RampOptions, until: number): Promise<{ scenario: string; units: Units; steps: Step[] }> {
  console.log(`\n=== ramp: ${scenario.name}, ${options.stepSeconds} s a step, p99 budget ${options.budgetMs} ms ===`);
  const steps: Step[] = [];
  for (const rate of scenario.rates) {
    if (Date.now() + (options.stepSeconds + STEP_OVERHEAD_S) * 1000 > until) {
      console.log(`ramp: ${scenario.name}: out of time for another step`);
      break;
    }
    const step = await runStep(world, scenario, rate, options);
    steps.push(step);
    console.log(`${scenario.name} at ${rate} ${scenario.units.rate}: ${step.throughput.toFixed(0)} ${scenario.units.throughput}, p50 ${step.p50.toFixed(0)} ms, p99 ${step.p99.toFixed(0)} ms, ${step.errors} errors | ${describeUsage(step.usage)}`);
    if (!withinBudget(step, options.budgetMs)) break;
  }
  return { scenario: scenario.name, units: scenario.units, steps };
}

async function runStep(world: LoadWorld, scenario: Scenario, rate: number, options: RampOptions): Promise<Step> {
  const loads = scenario.loads(rate);
  const outputs = loads.map((load) => path.join(options.outDir, `${scenario.name.split(' ')[0]}-${rate}-${load.file}.json`));
  const runs = loads.map((load, i) => runArtillery(load.file, { target: world.server, phase: { rate: load.rate, seconds: options.stepSeconds }, output: outputs[i]!, quiet: true }));
  const sampler = sampleUsage({ serverPid: world.server.child.pid!, storePid: world.storePid, baseUrl: world.server.baseUrl, loadPids: () => runs.flatMap((run) => run.child.pid ?? []) });
  // A step ends by itself (every request and socket event has a timeout); this is the backstop.
  const backstop = setTimeout(() => runs.forEach((run) => run.child.kill('SIGKILL')), (options.stepSeconds + 90) * 1000);
  await Promise.all(runs.map((run) => run.exited));
  clearTimeout(backstop);
  const usage = await sampler.stop();
  const figures = await Promise.all(loads.map(async (load, i) => {
    const report = await readFile(outputs[i]!, 'utf8').then((text) => JSON.parse(text) as ArtilleryReport, () => undefined);
    return report ? figuresOf(report, load.kind) : { p50: 0, p99: Infinity, throughput: 0, errors: 1 }; // no report: the run failed
  }));
  return { rate, ...combined(figures), usage };
}

async function report(results: Array<{ scenario: string; units: Units; steps: Step[] }>, options: RampOptions, seedSeconds: number): Promise<void> {
  const load = loadavg().map((n) => n.toFixed(2)).join(', ');
  console.log(`\n=== ramp: knees (p99 budget ${options.budgetMs} ms; load average ${load}; seeding took ${seedSeconds.toFixed(0)} s) ===`);
  for (const result of results) console.log(kneeLine(result.scenario, result.steps, options.budgetMs, result.units));
  await writeFile(path.join(options.outDir, 'ramp.json'), JSON.stringify({ budgetMs: options.budgetMs, loadAverage: loadavg(), seedSeconds, results }, null, 2));
  const chart = await renderChart(results, options.budgetMs, options.outDir);
  console.log(`\nramp: chart ${chart}\nramp: artillery reports and ramp.json in ${options.outDir}`);
}
