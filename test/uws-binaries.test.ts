import test from 'ava';
import { loadUws, UWS_PACKAGES } from '../realtime/uws-binaries.js';

const abi = Number(process.versions.modules);
const glibc = (process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header.glibcVersionRuntime;
const glibcAtLeast = (wanted: number) => glibc !== undefined && Number(glibc) >= wanted;
const file = `uws_${process.platform}_${process.arch}_${abi}.node`;

/** The table in docs/realtime.md of which package serves the gateway where, for the machine running this test. */
function expectedPackage(): string | undefined {
  const linux = process.platform === 'linux';
  if ([93, 108, 115].includes(abi) && (!linux || glibcAtLeast(2.27)) && ['x64', 'arm64', 'arm'].includes(process.arch)) return '@trufflesuite/uws-js-unofficial';
  if ([115, 127, 137, 141].includes(abi) && (!linux || glibcAtLeast(2.38)) && ['x64', 'arm64'].includes(process.arch)) return '@btc-vision/uwebsockets.js';
  return undefined;
}

test(`Node.js ABI ${abi} on ${process.platform} ${process.arch} (glibc ${glibc ?? 'none'}) gets the binary docs/realtime.md promises`, (t) => {
  const loaded = loadUws();
  const expected = expectedPackage();
  if (expected) return t.like(loaded, { from: expected }, 'reason' in loaded ? loaded.reason : '');
  t.false('uws' in loaded);
});

test('a package that is not installed, or lacks this Node.js ABI, is named in the reason and the next one is tried', (t) => {
  const missing = { name: 'missing', module: 'no-such-uws-package', dir: '.' };
  const lacking = { name: 'lacking', module: 'uWebSockets.js', dir: '../no-binaries-here' };
  const none = loadUws([missing, lacking]);
  t.deepEqual(none, { reason: `missing: not installed; lacking: no ${file}` });
  const next = loadUws([missing, ...UWS_PACKAGES]);
  t.is('from' in next ? next.from : undefined, expectedPackage());
});
