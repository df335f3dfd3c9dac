import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { PROJECT_ROOT } from '../../server/paths.js';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-the-check';
const MAIN = `${PROJECT_ROOT}dist/server/main.js`;

export interface ServerProcess {
  baseUrl: string;
  child: ChildProcess;
  /** Every line the process printed so far (JSON log lines and anything else). */
  output: string[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs `node dist/server/main.js` as its own process and waits until it listens. */
export async function startServer(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--enable-source-maps', MAIN], {
    env: { PATH: process.env.PATH, PORT: '0', REALTIME_PORT: '0', HOST: '127.0.0.1', JWT_SECRET: TEST_JWT_SECRET, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    const onLine = (line: string) => {
      output.push(line);
      const port = listeningPort(line);
      if (port) resolve(port);
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${output.join('\n')}`)));
  });
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    child,
    output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill(signal);
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}

/** Runs the server entry point to completion, for start-up refusals. */
export async function runServerToExit(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, output };
}

function listeningPort(line: string): number | undefined {
  try {
    const entry = JSON.parse(line) as { msg?: string; port?: number };
    return entry.msg?.startsWith('REST API listening') ? entry.port : undefined;
  } catch {
    return undefined;
  }
}
