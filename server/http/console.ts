import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Context, Middleware } from 'koa';
import { PROJECT_ROOT } from '../paths.js';

const require = createRequire(import.meta.url);
const socketIoClient = path.join(path.dirname(require.resolve('socket.io/package.json')), 'client-dist/socket.io.min.js');
const hlsJs = path.join(path.dirname(require.resolve('hls.js/package.json')), 'dist/hls.min.js');

const CONSOLE_DIR = path.join(PROJECT_ROOT, 'server/console');
const JAVASCRIPT = 'text/javascript; charset=utf-8';
const MODULES = ['app', 'api', 'feed', 'publish', 'player', 'chat', 'friends', 'notifications', 'live'];

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: path.join(CONSOLE_DIR, 'index.html'), type: 'text/html; charset=utf-8' },
  ...Object.fromEntries(MODULES.map((name) => [`/console/${name}.js`, { file: path.join(CONSOLE_DIR, `${name}.js`), type: JAVASCRIPT }])),
  '/console/style.css': { file: path.join(CONSOLE_DIR, 'style.css'), type: 'text/css; charset=utf-8' },
  '/console/socket.io.min.js': { file: socketIoClient, type: JAVASCRIPT },
  '/console/hls.min.js': { file: hlsJs, type: JAVASCRIPT },
};

/**
 * The web console at `/`: static files held in memory, and `/console/config.json` telling the page
 * where the realtime gateway is.
 */
export function webConsole(realtimeUrl: (ctx: Context) => string): Middleware {
  const files = new Map(Object.entries(FILES).map(([route, { file, type }]) => [route, { type, bytes: readFileSync(file) }]));
  return async (ctx, next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    if (ctx.path === '/console/config.json') {
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { realtimeUrl: realtimeUrl(ctx) };
      return;
    }
    const served = files.get(ctx.path);
    if (!served) return next();
    ctx.type = served.type;
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = served.bytes;
  };
}
