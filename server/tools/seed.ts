/**
 * `npm run seed -- [--users 20] [--videos 12] [--follows 3] [--likes 4] [--comments 2] [--messages 3]`
 * Fills the store with a small world (server/world/build.ts), idempotently. Uses MONGO_URL, else the
 * embedded store of the server running on DATA_DIR, else starts the embedded store under DATA_DIR;
 * writes media under DATA_DIR. Waits while another builder (the server's demo world) is at work.
 */
import { parseArgs } from 'node:util';
import { Presets, SingleBar } from 'cli-progress';
import { closeDatabase, openDatabase } from '../../models/index.js';
import { waitForWorldLease } from '../../models/world-builds.js';
import { ffmpegStatus } from '../../storage/covers.js';
import { ConfigError, loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { openMediaStorage } from '../media-storage.js';
import { buildWorld, SEED_PASSWORD, type Progress, type WorldSizes } from '../world/build.js';
import { openToolStore } from './tool-store.js';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '20' },
    videos: { type: 'string', default: '12' },
    follows: { type: 'string', default: '3' },
    likes: { type: 'string', default: '4' },
    comments: { type: 'string', default: '2' },
    messages: { type: 'string', default: '3' },
  },
});

function sizes(): WorldSizes {
  const parsed = Object.fromEntries(Object.entries(values).map(([name, value]) => [name, Number(value)])) as unknown as WorldSizes;
  for (const [name, value] of Object.entries(parsed)) {
    if (!Number.isInteger(value) || value < 0 || value > 10_000) throw new ConfigError(`--${name} must be a whole number from 0 to 10000`);
  }
  if (parsed.users < 2) throw new ConfigError('--users must be at least 2');
  return parsed;
}

async function main(): Promise<void> {
  const size = sizes();
  const config = loadConfig();
  const ffmpeg = await ffmpegStatus();
  if (!ffmpeg.available) throw new ConfigError(`seed makes real videos with ffmpeg: ${ffmpeg.reason} (apt-get install ffmpeg)`);
  const store = await openToolStore(config, createLogger('warn'));
  console.log(`seeding ${store.description}`);
  const media = await openMediaStorage(config);
  try {
    await openDatabase(store.url);
    const lease = await waitForWorldLease(`npm run seed (pid ${process.pid})`, (heldBy) => console.log(`waiting for ${heldBy} to finish building`));
    try {
      const started = performance.now();
      const world = await buildWorld(size, { media, timeZone: config.TIME_ZONE, progress: progressBars() });
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      console.log(`seeded ${world.users} users (seed_001... password "${SEED_PASSWORD}") and ${world.videos} videos in ${seconds} s`);
    } finally {
      await lease.release();
    }
  } finally {
    await media.close();
    await closeDatabase();
    await store.stop();
  }
}

/** A progress bar per step (plain periodic lines when stdout is not a terminal), then the step's time and rate. */
function progressBars(): Progress {
  let bar: SingleBar | undefined;
  let step = { name: '', started: 0, done: 0 };
  return {
    start(name, total) {
      step = { name, started: performance.now(), done: 0 };
      bar = new SingleBar({ format: `${name.padEnd(9)} {bar} {value}/{total}`, noTTYOutput: !process.stdout.isTTY, hideCursor: true }, Presets.shades_classic);
      bar.start(total, 0);
    },
    tick() {
      step.done += 1;
      bar?.increment();
    },
    stop() {
      bar?.stop();
      const seconds = (performance.now() - step.started) / 1000;
      const rate = step.done / seconds;
      if (step.done > 0) console.log(`${step.name}: ${step.done} in ${seconds.toFixed(1)} s (${rate < 10 ? rate.toFixed(1) : Math.round(rate)}/s)`);
    },
  };
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
