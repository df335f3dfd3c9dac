import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { LOAD_DIR } from './world.js';

const ARTILLERY = path.join(LOAD_DIR, 'node_modules/.bin/artillery');

export interface ArtilleryRun {
  child: ChildProcess;
  exited: Promise<number | null>;
}

export interface RunOptions {
  target: { baseUrl: string; realtimeUrl: string };
  /** Replaces the scenario's phases with one: `rate` virtual users a second for `seconds`. */
  phase?: { rate: number; seconds: number };
  /** Writes artillery's JSON report there. */
  output?: string;
  /** Prints only what goes wrong (the ramp prints its own line per step). */
  quiet?: boolean;
}

/** `artillery run` of `test/load/<scenario>.yml` against the server. */
export function runArtillery(scenario: string, options: RunOptions): ArtilleryRun {
  const args = ['run', path.join(LOAD_DIR, `${scenario}.yml`)];
  if (options.phase) args.push('--overrides', JSON.stringify({ config: { phases: [{ duration: options.phase.seconds, arrivalRate: options.phase.rate }] } }));
  if (options.output) args.push('--output', options.output);
  if (options.quiet) args.push('--quiet');
  const child = spawn(ARTILLERY, args, {
    stdio: options.quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit',
    env: { ...process.env, TARGET: options.target.baseUrl, REALTIME_TARGET: options.target.realtimeUrl, ARTILLERY_DISABLE_TELEMETRY: 'true' },
  });
  return { child, exited: once(child, 'exit').then(([code]) => code as number | null) };
}
