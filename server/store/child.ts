import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';

export interface RunningStore {
  /** The MongoDB connection string, without a database name. */
  url: string;
  /** What serves it, for the start-up line, e.g. "FerretDB 1.24.2 on SQLite". */
  description: string;
  /** The store process (FerretDB, or mongod). */
  pid: number;
  /** Resolves when the store process exits, however it does, with how it did ("signal SIGKILL", "code 1"). */
  exited: Promise<string>;
  stop(): Promise<void>;
}

/**
 * Spawns a store process, forwards its stderr to the log, and resolves with the URL that `ready`
 * extracts from its stdout lines. Rejects with the tail of its output if it exits first.
 */
export async function spawnStore(
  command: string,
  args: string[],
  ready: (line: string) => string | undefined,
  logger: Logger,
): Promise<Omit<RunningStore, 'description'>> {
  // stdin stays open as a pipe: a store that watches it exits when this process dies.
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const tail: string[] = [];
  const remember = (line: string) => {
    tail.push(line);
    if (tail.length > 20) tail.shift();
  };
  createInterface({ input: child.stderr! }).on('line', (line) => {
    remember(line);
    logger.debug({ store: line }, 'store output');
  });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      remember(line);
      const found = ready(line);
      if (found) resolve(found);
    });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      reject(new Error(`${command} exited (${signal ?? code}) before it was ready:\n${tail.join('\n')}`)),
    );
  });
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ? `signal ${signal}` : `code ${code}`)));
  return { url, pid: child.pid!, exited, stop: () => stopChild(child) };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
