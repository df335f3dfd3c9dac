/**
 * `npm run store`: runs only the embedded store and prints its MONGO_URL, for tests, load runs and
 * several server processes sharing one store. `--build` only builds (and caches) FerretDB.
 */
import { ConfigError, loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { startEmbeddedStore } from './embedded.js';
import { ferretdbBinary } from './ferretdb.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  if (process.argv.includes('--build')) {
    logger.info(`FerretDB binary: ${await ferretdbBinary(logger)}`);
    return;
  }
  const store = await startEmbeddedStore({ mode: config.EMBEDDED_STORE, dataDir: config.DATA_DIR, clustersDir: config.EMBEDDED_CLUSTERS_DIR, port: config.STORE_PORT }, logger);
  logger.info(`store: ${store.description}`);
  console.log(`MONGO_URL=${store.url}douyin`);
  const stop = () => void store.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
