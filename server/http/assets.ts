import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Middleware } from 'koa';
import { PROJECT_ROOT } from '../paths.js';

const ASSETS = ['avatar.png', 'background.png'];

/** The bytes of a built-in image. */
export function asset(name: string): Buffer {
  return readFileSync(path.join(PROJECT_ROOT, 'server/assets', name));
}

/** Serves the small built-in images (default avatar and background) from memory under /assets/. */
export function assets(): Middleware {
  const files = new Map(ASSETS.map((name) => [`/assets/${name}`, asset(name)]));
  return async (ctx, next) => {
    const file = files.get(ctx.path);
    if (!file || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    ctx.type = 'image/png';
    ctx.set('Cache-Control', 'public, max-age=86400');
    ctx.body = file;
  };
}
