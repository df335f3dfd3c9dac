import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { RunningStore } from './child.js';

/** Waits before each attempt to start a store that died, in a row; past the last, the supervisor gives up. */
export const RESTART_DELAYS_MS = [250, 500, 1_000, 2_000, 4_000, 8_000, 8_000];
/** A store that stayed up this long counts as recovered: its next death starts the delays again. */
const STABLE_MS = 60_000;

export interface SupervisedStore {
  /** The MongoDB connection string, without a database name; the same across restarts. */
  readonly url: string;
  readonly description: string;
  /** The store process running now. */
  readonly pid: number;
  stop(): Promise<void>;
}

/**
 * Starts the embedded store and starts it again, on the same port, whenever it dies (a crash, an OOM
 * kill, its PostgreSQL gone): the driver reconnects by itself, so the server serves again within
 * seconds. A store that cannot be started again after RESTART_DELAYS_MS is given up on, and so is the
 * process (`onGiveUp`): a supervisor that restarts the whole server may do better.
 */
export async function superviseStore(
  start: (port: number) => Promise<RunningStore>,
  port: number,
  logger: Logger,
  onGiveUp: (reason: string) => void,
): Promise<SupervisedStore> {
  let store = await start(port);
  const samePort = Number(new URL(store.url).port);
  let stopping = false;
  let failures = 0; // deaths and failed starts since the store last stayed up STABLE_MS

  async function recover(how: string): Promise<void> {
    const diedAt = Date.now();
    logger.error({ store: store.description, exit: how }, `the store exited (${how}): starting it again`);
    while (failures < RESTART_DELAYS_MS.length) {
      await sleep(RESTART_DELAYS_MS[failures++]);
      if (stopping) return;
      try {
        store = await start(samePort);
        logger.warn({ store: store.description, downMs: Date.now() - diedAt }, `the store is running again, ${Date.now() - diedAt} ms after it exited`);
        return watch();
      } catch (error) {
        logger.error({ err: error }, 'the store could not be started again');
      }
    }
    onGiveUp(`the store exited (${how}) and could not be kept running: ${failures} attempts in a row failed`);
  }

  function watch(): void {
    const since = Date.now();
    void store.exited.then((how) => {
      if (stopping) return;
      if (Date.now() - since >= STABLE_MS) failures = 0;
      void recover(how);
    });
  }
  watch();

  return {
    url: store.url,
    description: store.description,
    get pid() {
      return store.pid;
    },
    async stop() {
      stopping = true;
      await store.stop();
    },
  };
}
