import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { closeDatabase, createSessions, openDatabase } from '../models/index.js';
import { CoverMaker } from '../storage/cover-maker.js';
import { ffmpegStatus } from '../storage/covers.js';
import { LocalStorage } from '../storage/local.js';
import { createApp } from './app.js';
import { monthDayFormatter } from './http/dates.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { startEmbeddedStore, type RunningStore } from './store/embedded.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  if (config.usesDevelopmentSecret) logger.warn('JWT_SECRET is not set: using the development secret (refused when NODE_ENV=production)');

  let store: RunningStore | undefined;
  if (!config.MONGO_URL) {
    store = await startEmbeddedStore({ mode: config.EMBEDDED_STORE, dataDir: config.DATA_DIR, port: config.STORE_PORT }, logger);
    logger.info({ store: store.description, url: store.url }, `store: ${store.description}`);
  }
  await openDatabase(config.MONGO_URL ?? `${store!.url}douyin`);

  const media = new LocalStorage(path.join(config.DATA_DIR, 'media'));
  await media.init();
  const ffmpeg = await ffmpegStatus();
  if (!ffmpeg.available) logger.warn(`covers are placeholder images: ${ffmpeg.reason} (apt-get install ffmpeg)`);
  const covers = new CoverMaker(media, ffmpeg.available, (error, videoKey) => logger.error({ err: error, videoKey }, 'cover extraction failed'));

  const app = createApp({
    sessions: createSessions(config.JWT_SECRET, config.TOKEN_TTL),
    logger,
    publicUrl: config.PUBLIC_URL,
    media,
    covers,
    maxUploadBytes: config.MAX_UPLOAD_MB * 1024 * 1024,
    requireFriendship: config.CHAT_REQUIRES_FRIENDSHIP,
    formatDate: monthDayFormatter(config.TIME_ZONE),
  });
  const server = app.listen(config.PORT, config.HOST);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  logger.info({ port }, `REST API listening on http://${config.HOST}:${port}/douyin/`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await new Promise((resolve) => server.close(resolve));
    await covers.idle();
    await media.close();
    await closeDatabase();
    await store?.stop();
    logger.info('stopped');
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else {
    console.error('Failed to start:', error);
  }
  process.exit(1);
});
