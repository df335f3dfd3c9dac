import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { freePort } from '../../server/store/free-port.js';

export interface TestRedis {
  url: string;
  /** Stops the server (as an outage would). */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  /** Freezes it (SIGSTOP): its connections stay open and nothing is answered, as a hung server's. */
  pause(): void;
  resume(): void;
}

const started = new Set<ChildProcess>();
process.once('exit', () => started.forEach((child) => child.kill('SIGKILL')));

/**
 * A real redis-server on a free loopback port, without persistence; `args` are added to its command line.
 * A port found free can be taken (by a parallel test's outgoing connection) before redis binds it: such
 * a start is tried again on another port.
 */
export async function startTestRedis(args: string[] = []): Promise<TestRedis> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await launchTestRedis(args);
    } catch (error) {
      if (attempt === START_ATTEMPTS) throw error;
    }
  }
}

const START_ATTEMPTS = 3;

async function launchTestRedis(args: string[]): Promise<TestRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const redis: TestRedis = {
    url: `redis://127.0.0.1:${port}`,
    async start() {
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
      started.add(child);
      await new Promise<void>((resolve, reject) => {
        createInterface({ input: child!.stdout! }).on('line', (line) => line.includes('Ready to accept connections') && resolve());
        child!.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`)));
      });
    },
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    async stop() {
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
  await redis.start();
  return redis;
}
