import { fileURLToPath } from 'node:url';

/** The repository root, whether this module runs from the TypeScript sources or from dist/. */
export const PROJECT_ROOT = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../' : '../', import.meta.url));

/** Where built helper binaries are cached between runs (node_modules/.cache, the npm convention). */
export const CACHE_DIR = `${PROJECT_ROOT}node_modules/.cache/douyin`;
