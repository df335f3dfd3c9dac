import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { announcedStore } from '../store/address-file.js';
import { startEmbeddedStore } from '../store/embedded.js';

export interface ToolStore {
  /** The database URL. */
  url: string;
  /** Which store it is, for the tool's output. */
  description: string;
  /** Stops the store if the tool started it. */
  stop(): Promise<void>;
}

/** The store a tool works on: MONGO_URL, else the embedded store of the server running on DATA_DIR, else one started for the tool. */
export async function openToolStore(config: Config, logger: Logger): Promise<ToolStore> {
  const nothingToStop = async () => undefined;
  if (config.MONGO_URL) return { url: config.MONGO_URL, description: 'the store at MONGO_URL', stop: nothingToStop };
  const running = await announcedStore(config.DATA_DIR);
  if (running) return { url: running, description: `the running server's store under ${config.DATA_DIR}`, stop: nothingToStop };
  const store = await startEmbeddedStore({ mode: config.EMBEDDED_STORE, dataDir: config.DATA_DIR, clustersDir: config.EMBEDDED_CLUSTERS_DIR, port: 0 }, logger);
  return { url: `${store.url}douyin`, description: store.description, stop: () => store.stop() };
}
