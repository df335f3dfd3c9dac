import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Step, Units } from './knee.js';
import { LOAD_DIR } from './world.js';

export interface Ramped {
  scenario: string;
  units: Units;
  steps: Step[];
}

/**
 * A Vega-Lite chart: per scenario, p50 and p99 (ms) against the arrival rate, the budget as a dashed
 * line, and errors as bars on their own axis.
 */
export function chartSpec(results: readonly Ramped[], budgetMs: number): Record<string, unknown> {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `Load ramp: latency and errors against arrival rate (p99 budget ${budgetMs} ms)`,
    hconcat: results.map((result) => panel(result, budgetMs)),
  };
}

/** One scenario's chart. (Not a facet: vega-lite cannot facet layers whose y scales are independent.) */
function panel({ scenario, units, steps }: Ramped, budgetMs: number): Record<string, unknown> {
  const values = steps.flatMap((step) => {
    const ms = (metric: string, value: number) => ({ rate: step.rate, metric, ms: Number.isFinite(value) ? value : null });
    return [ms('p50', step.p50), ms('p99', step.p99), ms('p99 budget', budgetMs), { rate: step.rate, errors: step.errors }];
  });
  const x = { field: 'rate', type: 'quantitative', title: `arrival rate (${units.rate})`, axis: { format: 'd', tickMinStep: 1 } };
  return {
    title: scenario,
    width: 300,
    height: 220,
    data: { values },
    layer: [
      {
        transform: [{ filter: 'datum.metric != null' }],
        mark: { type: 'line', point: true },
        encoding: {
          x,
          y: { field: 'ms', type: 'quantitative', title: 'latency (ms)' },
          color: { field: 'metric', type: 'nominal', title: null, scale: { domain: ['p50', 'p99', 'p99 budget'], range: ['steelblue', 'darkorange', 'firebrick'] } },
          strokeDash: { condition: { test: "datum.metric == 'p99 budget'", value: [4, 4] }, value: [1, 0] },
        },
      },
      { transform: [{ filter: 'datum.errors != null' }], mark: { type: 'bar', opacity: 0.35, color: 'firebrick', width: 6 }, encoding: { x, y: { field: 'errors', type: 'quantitative', title: 'errors (bars)', axis: { orient: 'right', format: 'd', tickMinStep: 1 } } } },
    ],
    resolve: { scale: { y: 'independent' } },
  };
}

/** Writes the chart's spec and its SVG into `dir`; returns the SVG's path. */
export async function renderChart(results: readonly Ramped[], budgetMs: number, dir: string): Promise<string> {
  const specFile = path.join(dir, 'ramp.vl.json');
  const svgFile = path.join(dir, 'ramp.svg');
  await writeFile(specFile, JSON.stringify(chartSpec(results, budgetMs), null, 2));
  await promisify(execFile)(process.execPath, [path.join(LOAD_DIR, 'render-svg.mjs'), specFile, svgFile]);
  return svgFile;
}
