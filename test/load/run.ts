/**
 * `npm run load`: the smoke run (default) seeds a small world with the seed command, starts a server
 * (rate limits off: all the load comes from one address), runs the REST and the Socket.IO artillery
 * scenarios once at a light rate, and prints their reports.
 *   npm run load -- [--users 200] [--scenario rest|socket|all]
 * `--ramp` seeds 100,000 follows, likes, comments and messages, then steps the arrival rate up until
 * p99 passes the budget or errors appear, for REST, chat and both at once, and prints a `knee:` line
 * for each and the path of a chart (see ramp.ts).
 *   npm run load -- --ramp [--budget 200] [--step-seconds 15] [--max-steps 8] [--max-minutes 10] [--users 2000] [--out dir]
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../../server/paths.js';
import { ramp } from './ramp.js';
import { smoke } from './smoke.js';

const { values } = parseArgs({
  options: {
    users: { type: 'string' },
    scenario: { type: 'string', default: 'all' },
    ramp: { type: 'boolean', default: false },
    budget: { type: 'string', default: '200' },
    'step-seconds': { type: 'string', default: '15' },
    'max-steps': { type: 'string', default: '8' },
    'max-minutes': { type: 'string', default: '10' },
    out: { type: 'string' },
  },
});

function positive(name: string, value: string | undefined): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new Error(`--${name} must be a positive number`);
  return number;
}

if (values.ramp) {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  await ramp({
    budgetMs: positive('budget', values.budget),
    stepSeconds: positive('step-seconds', values['step-seconds']),
    maxSteps: Math.floor(positive('max-steps', values['max-steps'])),
    maxMinutes: positive('max-minutes', values['max-minutes']),
    users: Math.floor(positive('users', values.users ?? '2000')),
    outDir: path.resolve(values.out ?? path.join(PROJECT_ROOT, 'test-output/load', `ramp-${stamp}`)),
  });
  process.exit(0);
}
const scenarios = values.scenario === 'all' ? ['rest', 'socket'] : [values.scenario!];
process.exit((await smoke(values.users ?? '200', scenarios)) ? 0 : 1);
