import Router from '@koa/router';
import Koa, { type Middleware } from 'koa';
import { endpoints } from './endpoints/index.js';
import { assets, asset } from './http/assets.js';
import { mountEndpoint, type Services } from './http/endpoint.js';
import { refusalBody, toRefusal } from './http/envelope.js';
import { mediaFiles } from './http/media.js';

export function createApp(services: Services): Koa {
  const app = new Koa();
  const router = new Router();
  for (const endpoint of endpoints) mountEndpoint(router, endpoint, services);

  app.use(douyinEnvelope(services));
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: true, notImplemented: methodNotAllowed, methodNotAllowed }));
  app.use(assets());
  app.use(mediaFiles(services.media, asset('cover.png')));
  return app;
}

/** Under /douyin/, whatever no endpoint answered (unknown path, wrong method) still gets the JSON envelope. */
function douyinEnvelope(services: Services): Middleware {
  return async (ctx, next) => {
    if (!/^\/douyin(\/|$)/.test(ctx.path)) return next();
    try {
      await next();
      if (ctx.body === undefined) throw Object.assign(new Error('unknown endpoint'), { status: 404 });
    } catch (error) {
      const refusal = toRefusal(error, services.logger);
      ctx.status = refusal.httpStatus;
      ctx.body = refusalBody(refusal);
    }
  };
}

function methodNotAllowed(): Error {
  return Object.assign(new Error('Method not allowed'), { status: 405 });
}
