import type { Logger } from 'pino';
import { demoWorldTask, markDemoWorld, waitForWorldLease } from '../../models/world-builds.js';
import type { MediaStorage } from '../../storage/media-storage.js';
import type { Config } from '../config.js';
import { buildWorld, SEED_PASSWORD, seedUsername, type WorldSizes } from './build.js';

/** Ready within seconds of a first start, and everyone has friends who chatted with them. */
export const DEMO_SIZES: WorldSizes = { users: 8, videos: 6, follows: 2, likes: 3, comments: 2, messages: 4 };

/** Only on the embedded store in development: a MONGO_URL store or a production server holds somebody's real data. */
export function wantsDemoWorld(config: Pick<Config, 'DEMO_WORLD' | 'MONGO_URL' | 'NODE_ENV'>): boolean {
  return config.DEMO_WORLD === 'on' && !config.MONGO_URL && config.NODE_ENV === 'development';
}

export interface DemoWorldOptions {
  media: MediaStorage;
  timeZone: string;
  logger: Logger;
  /** Whether ffmpeg runs: the clips are made with it. */
  ffmpeg: boolean;
  /** Where a newcomer opens the console, for the log. */
  consoleUrl: string;
}

/**
 * Builds the demo world in the background when the store has no users (or finishes the one an
 * interrupted start began); `stop` interrupts it between two items, and the next start finishes it.
 */
export function startDemoWorld(options: DemoWorldOptions): { stop(): Promise<void> } {
  const controller = new AbortController();
  const running = demoWorld(options, controller.signal).catch((error: unknown) => {
    if (controller.signal.aborted) options.logger.info('demo world: interrupted by the shutdown; the next start finishes it');
    else options.logger.error({ err: error }, 'demo world: failed; the next start tries again (or run npm run seed)');
  });
  return {
    async stop() {
      controller.abort();
      await running;
    },
  };
}

async function demoWorld(options: DemoWorldOptions, signal: AbortSignal): Promise<void> {
  const { logger } = options;
  const onWait = (heldBy: string) => logger.info(`demo world: waiting for ${heldBy} to finish building`);
  const lease = await waitForWorldLease(`the server's demo world (pid ${process.pid})`, onWait, signal);
  try {
    const task = await demoWorldTask();
    if (task === 'none') {
      logger.debug('demo world: none needed, the store has users');
      return;
    }
    if (!options.ffmpeg) {
      logger.warn('demo world: not made, its clips are made with ffmpeg, which is not installed (apt-get install ffmpeg)');
      return;
    }
    const login = `log in as ${seedUsername(0)} with password ${SEED_PASSWORD}`;
    logger.info({ ...DEMO_SIZES }, task === 'build'
      ? `demo world: the store is empty, building a small world in the background (DEMO_WORLD=off turns this off); then ${login}`
      : 'demo world: finishing the one an earlier start began');
    const started = Date.now();
    await markDemoWorld('begun');
    const world = await buildWorld(DEMO_SIZES, { media: options.media, timeZone: options.timeZone, signal });
    await markDemoWorld('done');
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    logger.info(world, `demo world ready in ${seconds} s: ${world.users} users, ${world.videos} videos; open ${options.consoleUrl} and ${login}`);
  } finally {
    await lease.release();
  }
}
