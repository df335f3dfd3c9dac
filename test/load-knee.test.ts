import test from 'ava';
import { errorsOf, figuresOf, REST, SOCKET, type ArtilleryReport } from './load/artillery-report.js';
import { chartSpec } from './load/chart.js';
import { firstSaturation, kneeLine, kneeOf, saturatedIn, type Step, type Usage } from './load/knee.js';
import { ladder } from './load/ladder.js';

const idle: Usage = { serverCores: 0.2, storeCores: 0.3, loadCores: 0.2, machineCores: 0.8, cores: 2, lagP99Ms: 12 };
const step = (rate: number, p99: number, errors = 0, usage: Partial<Usage> = {}): Step => ({ rate, throughput: rate * 34, p50: p99 / 4, p99, errors, usage: { ...idle, ...usage } });
const units = { rate: 'sessions/s', throughput: 'req/s' };

test('the knee is the last step before the first over budget', (t) => {
  const steps = [step(2, 40), step(3, 90), step(5, 180), step(8, 450), step(12, 150)];
  const { knee, over, limitFound } = kneeOf(steps, 200);
  t.is(knee?.rate, 5);
  t.is(over?.rate, 8);
  t.true(limitFound);
});

test('a step with errors is past the knee however fast it was', (t) => {
  const { knee, over } = kneeOf([step(2, 40), step(3, 50, 1)], 200);
  t.is(knee?.rate, 2);
  t.is(over?.rate, 3);
});

test('p99 exactly at the budget is within it', (t) => {
  t.is(kneeOf([step(2, 200), step(3, 201)], 200).knee?.rate, 2);
});

test('no knee when the first step is over budget; at least the last rate when none is', (t) => {
  t.deepEqual(kneeOf([step(2, 900)], 200), { knee: undefined, over: step(2, 900), limitFound: true });
  const open = kneeOf([step(2, 40), step(3, 60)], 200);
  t.is(open.knee?.rate, 3);
  t.false(open.limitFound);
  t.regex(kneeLine('rest', [step(2, 900)], 200, units), /^knee: rest: below the first step/);
  t.regex(kneeLine('rest', [step(2, 40), step(3, 60)], 200, units), /^knee: rest: at least 3 sessions\/s \(102 req\/s\).*the ramp ended before p99 left the budget/);
});

test('the knee line names the rate, throughput, p99 and what saturated first', (t) => {
  const line = kneeLine('rest', [step(2, 40), step(3, 90, 0, { serverCores: 0.95 }), step(5, 400)], 200, units);
  t.regex(line, /^knee: rest: 3 sessions\/s \(102 req\/s\), p50 23 ms, p99 90 ms, 0 errors within p99 200 ms; next step over: 5 sessions\/s/);
  t.regex(line, /saturated first: server CPU at 3 sessions\/s \(server 0\.95/);
});

test('saturation: the server\'s one core, then a full machine\'s largest user, then event-loop lag', (t) => {
  t.is(saturatedIn(idle), undefined);
  t.is(saturatedIn({ ...idle, serverCores: 0.92, machineCores: 1.2 }), 'server CPU');
  t.is(saturatedIn({ ...idle, serverCores: 0.6, storeCores: 1.0, machineCores: 1.9 }), 'store CPU');
  t.is(saturatedIn({ ...idle, loadCores: 1.1, machineCores: 1.9 }), 'load generator CPU');
  t.is(saturatedIn({ ...idle, machineCores: 1.95 }), 'other processes\' CPU', 'others used 1.25 cores');
  t.is(saturatedIn({ ...idle, lagP99Ms: 80 }), 'event-loop lag');
  t.is(saturatedIn({ ...idle, machineCores: 1.7 }), undefined, 'under 90 % of the machine');
});

test('what saturated first is the earliest step that saturated anything', (t) => {
  const steps = [step(2, 40), step(3, 60, 0, { lagP99Ms: 70 }), step(5, 300, 0, { serverCores: 1 })];
  t.like(firstSaturation(steps), { step: { rate: 3 }, resource: 'event-loop lag' });
  t.is(firstSaturation([step(2, 40)]), undefined);
  t.regex(kneeLine('rest', [step(2, 40)], 200, units), /nothing saturated/);
});

const report = (counters: Record<string, number>, summaries: ArtilleryReport['aggregate']['summaries'] = {}): ArtilleryReport => ({
  aggregate: { counters, summaries, firstCounterAt: 1_000, lastCounterAt: 11_000 },
});

test('errors: failed users (or their errors), HTTP 4xx and 5xx, failed expect checks', (t) => {
  t.is(errorsOf({ 'http.codes.200': 500, 'vusers.failed': 0, 'plugins.expect.ok': 30 }), 0);
  t.is(errorsOf({ 'http.codes.200': 5, 'http.codes.503': 2, 'http.codes.404': 1 }), 3);
  t.is(errorsOf({ 'vusers.failed': 3, 'errors.ETIMEDOUT': 2, 'errors.ECONNRESET': 1 }), 3, 'a failed user is counted once');
  t.is(errorsOf({ 'plugins.expect.failed': 2, 'vusers.failed': 0 }), 2);
});

test('figures of a REST and a socket report', (t) => {
  const rest = figuresOf(report({ 'http.responses': 340 }, { 'http.response_time': { p50: 12, p99: 140, count: 340 } }), REST);
  t.deepEqual(rest, { p50: 12, p99: 140, throughput: 34, errors: 0 });
  const chat = figuresOf(report({ 'socket.messages_sent': 100 }, { 'socket.send_ack_ms': { p50: 8, p99: 40, count: 100 }, 'socket.push_ms': { p50: 6, p99: 95, count: 80 } }), SOCKET);
  t.deepEqual(chat, { p50: 8, p99: 95, throughput: 10, errors: 0 }, 'the worst p99 of ack and push');
});

test('the ladder grows by about the factor, always by at least one', (t) => {
  t.deepEqual(ladder(2, 1.5, 7), [2, 3, 5, 8, 12, 18, 27]);
  t.deepEqual(ladder(1, 1.2, 4), [1, 2, 3, 4]);
});

test('the chart has a panel per scenario with p50, p99, the budget and errors of each step', (t) => {
  const spec = chartSpec([{ scenario: 'rest', units, steps: [step(2, 40), step(3, Infinity, 4)] }], 200) as { hconcat: Array<{ title: string; data: { values: unknown[] } }> };
  t.is(spec.hconcat.length, 1);
  t.is(spec.hconcat[0]!.title, 'rest');
  t.deepEqual(spec.hconcat[0]!.data.values.slice(4), [
    { rate: 3, metric: 'p50', ms: null }, { rate: 3, metric: 'p99', ms: null }, { rate: 3, metric: 'p99 budget', ms: 200 }, { rate: 3, errors: 4 },
  ]);
});
