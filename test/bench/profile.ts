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
  return selfTime(dir, top, ({ functionName, url, lineNumber }) => {
    const where = url ? `${url.replace(`file://${PROJECT_ROOT}`, '')}:${lineNumber + 1}` : '';
    return `${functionName || '(anonymous)'} | ${where}`;
  });
}

/** The same by where the code lives: an npm package, a Node.js module, a file of this project, or V8 itself. */
export function timeByPackage(dir: string, top = 25): string[] {
  return selfTime(dir, top, ({ functionName, url }) => {
    if (!url) return functionName || '(anonymous)';
    if (url.startsWith('node:')) return url;
    const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    return inPackage ? `npm ${inPackage[1]}` : url.replace(`file://${PROJECT_ROOT}dist/`, '');
  });
}

function selfTime(dir: string, top: number, keyOf: (frame: ProfileNode['callFrame']) => string): string[] {
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
  if (!file) return [`no profile in ${dir}`];
  const { nodes } = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { nodes: ProfileNode[] };
  const byKey = new Map<string, number>();
  let total = 0;
  for (const node of nodes) {
    const hits = node.hitCount ?? 0;
    total += hits;
    const key = keyOf(node.callFrame);
    byKey.set(key, (byKey.get(key) ?? 0) + hits);
  }
  return [...byKey]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, hits]) => `| ${((hits / total) * 100).toFixed(1)} % | ${key} |`);
}
