import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { PROJECT_ROOT } from '../../server/paths.js';
import { temporaryDir } from './dirs.js';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-the-check';
const MAIN = `${PROJECT_ROOT}dist/server/main.js`;

export interface ServerProcess {
  baseUrl: string;
  /** The Socket.IO gateway's URL. */
  realtimeUrl: string;
  child: ChildProcess;
  /** Every line the process printed so far (JSON log lines and anything else). */
  output: string[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Every server a test started and every directory it made: none may outlive the test process. */
const running = new Set<ChildProcess>();
const dataDirs = new Set<string>();
process.once('exit', () => {
  running.forEach((child) => child.kill('SIGKILL'));
  dataDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true, maxRetries: 5 })); // a store may still be shutting down
});

/**
 * Runs `node dist/server/main.js` as its own process and waits until it listens. Without a DATA_DIR
 * it gets a fresh temporary one, removed when the test process ends. Rate limits are off unless asked
 * for: the tests register many users from one address. So is the demo world: each test makes its own. `outputToFile` (for benchmarks) sends what it
 * prints to a file instead of a pipe: reading every request's log line would take CPU from the load
 * generator, and `output` then holds only the lines up to the start. `nodeArgs` go to node before the
 * script (--cpu-prof, say).
 */
export async function startServer(
  env: Record<string, string>,
  { outputToFile = false, nodeArgs = [] as string[] } = {},
): Promise<ServerProcess> {
  const dataDir = env.DATA_DIR ?? temporaryDataDir();
  const logFile = outputToFile ? path.join(temporaryDataDir(), 'server.log') : undefined;
  const fd = logFile === undefined ? undefined : openSync(logFile, 'w');
  const child = spawn(process.execPath, ['--enable-source-maps', ...nodeArgs, MAIN], {
    env: { PATH: process.env.PATH, PORT: '0', REALTIME_PORT: '0', HOST: '127.0.0.1', JWT_SECRET: TEST_JWT_SECRET, DATA_DIR: dataDir, RATE_LIMITS: 'off', DEMO_WORLD: 'off', ...env },
    stdio: fd === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', fd, fd],
  });
  if (fd !== undefined) closeSync(fd);
  running.add(child);
  child.once('exit', () => running.delete(child));
  const output: string[] = [];
  let realtimePort = 0;
  let started = false;
  const port = await new Promise<number>((resolve, reject) => {
    const onLine = (line: string) => {
      output.push(line);
      const entry = logEntry(line);
      if (entry?.msg?.startsWith('realtime gateway listening')) realtimePort = entry.port!;
      if (entry?.msg?.startsWith('REST API listening')) {
        started = true;
        resolve(entry.port!);
      }
    };
    if (logFile === undefined) {
      createInterface({ input: child.stdout! }).on('line', onLine);
      createInterface({ input: child.stderr! }).on('line', onLine);
    } else {
      void followFile(logFile, onLine, () => started || child.exitCode !== null);
    }
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${output.join('\n')}`)));
  });
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    realtimeUrl: `http://127.0.0.1:${realtimePort}`,
    child,
    output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill(signal);
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}

/** The first line the server prints that matches `pattern`, waiting for it up to `ms`; fails if the server exits first. */
export async function lineMatching(server: ServerProcess, pattern: RegExp, ms = 60_000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const line = server.output.find((candidate) => pattern.test(candidate));
    if (line !== undefined) return line;
    if (Date.now() > deadline || server.child.exitCode !== null) throw new Error(`no line matching ${pattern} in:\n${server.output.join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Calls `onLine` for each complete line written to `file`, polling, until `done()`. */
async function followFile(file: string, onLine: (line: string) => void, done: () => boolean): Promise<void> {
  let seen = 0;
  while (!done()) {
    const lines = (await readFile(file, 'utf8')).split('\n');
    lines.slice(seen, -1).forEach(onLine); // the last piece may be a line still being written
    seen = Math.max(seen, lines.length - 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Runs the server entry point to completion, for start-up refusals; one that starts instead is killed after `timeoutMs`. */
export async function runServerToExit(env: Record<string, string>, timeoutMs = 30_000): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  child.once('exit', () => clearTimeout(timer));
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, output };
}

function temporaryDataDir(): string {
  const dir = temporaryDir('douyin-server-');
  dataDirs.add(dir);
  return dir;
}

function logEntry(line: string): { msg?: string; port?: number } | undefined {
  try {
    return JSON.parse(line) as { msg?: string; port?: number };
  } catch {
    return undefined;
  }
}
