import { createRequire } from 'node:module';
import path from 'node:path';

export type Uws = typeof import('uWebSockets.js');

/**
 * npm packages that carry uWebSockets.js binaries (it is not on npm under its own name), tried in
 * order. `dir` is where the binaries lie relative to the package's entry point.
 */
export const UWS_PACKAGES = [
  // uWS.js 20.30: Node 16, 18, 20 (ABIs 93, 108, 115); Linux x64, arm64, arm (glibc 2.27+), macOS, Windows.
  { name: '@trufflesuite/uws-js-unofficial', module: 'uWebSockets.js', dir: '../binaries' },
  // uWS.js 20.57: Node 20, 22, 24, 25 (ABIs 115, 127, 137, 141); Linux x64, arm64 (glibc 2.38+), macOS, Windows.
  { name: '@btc-vision/uwebsockets.js', module: '@btc-vision/uwebsockets.js', dir: '.' },
] as const;

/**
 * The first native uWebSockets.js binary that loads on this Node.js and platform, or why none does.
 * Binaries are loaded by their path: the packages' own entry points would throw or swap in a slow
 * emulation instead.
 */
export function loadUws(packages: ReadonlyArray<{ name: string; module: string; dir: string }> = UWS_PACKAGES): { uws: Uws; from: string } | { reason: string } {
  const require = createRequire(import.meta.url);
  const file = `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
  const reasons: string[] = [];
  for (const { name, module, dir } of packages) {
    try {
      const binary = path.join(path.dirname(require.resolve(module)), dir, file);
      return { uws: require(binary) as Uws, from: name };
    } catch (error) {
      reasons.push(`${name}: ${whyNot(error, file)}`);
    }
  }
  return { reason: reasons.join('; ') };
}

function whyNot(error: unknown, file: string): string {
  const { code, message } = error as NodeJS.ErrnoException;
  if (code === 'MODULE_NOT_FOUND') return message.includes(file) ? `no ${file}` : 'not installed';
  return message.split('\n')[0]!;
}
