/**
 * `npm run recount`: recounts every counter (follow, follower, favorite, total_favorited, work, and each
 * video's favorite and comment counts) from the records they count, and repairs friendship flags.
 * Uses MONGO_URL, or the embedded store under DATA_DIR when it is unset (stop the server first).
 */
import { closeDatabase, counters, openDatabase } from '../../models/index.js';
import { ConfigError, loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { startEmbeddedStore, type RunningStore } from '../store/embedded.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  let store: RunningStore | undefined;
  if (!config.MONGO_URL) {
    store = await startEmbeddedStore({ mode: config.EMBEDDED_STORE, dataDir: config.DATA_DIR, clustersDir: config.EMBEDDED_CLUSTERS_DIR, port: 0 }, logger);
  }
  try {
    await openDatabase(config.MONGO_URL ?? `${store!.url}douyin`);
    const fixed = await counters.recountAll();
    console.log(`recounted: fixed ${fixed.users} users, ${fixed.videos} videos`);
  } finally {
    await closeDatabase();
    await store?.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
