import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../server/paths.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/**
 * The functions where a V8 CPU profile (node --cpu-prof) spent the most self time, as table rows:
 * "share of samples | function | where".
 */
export function hottestFunctions(dir: string, top = 15): string[] {
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
  if (!file) return [`no profile in ${dir}`];
  const { nodes } = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { nodes: ProfileNode[] };
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const node of nodes) {
    const hits = node.hitCount ?? 0;
    total += hits;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${url.replace(`file://${PROJECT_ROOT}`, '')}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'} | ${where}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + hits);
  }
  return [...byFunction]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, hits]) => `| ${((hits / total) * 100).toFixed(1)} % | ${key} |`);
}
