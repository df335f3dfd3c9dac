import type Router from '@koa/router';
import type { Context } from 'koa';
import { koaBody } from 'koa-body';
import type { Logger } from 'pino';
import { z } from 'zod';
import { Refusal, type Sessions } from '../../models/index.js';
import { resolveViewer } from './auth.js';
import { refusalBody, successBody, toRefusal } from './envelope.js';
import { collectParams } from './params.js';
import { describeIssue } from './schemas.js';

export type AuthMode = 'none' | 'optional' | 'required';
type Viewer<A extends AuthMode> = A extends 'required' ? number : A extends 'optional' ? number | undefined : undefined;

export interface Services {
  sessions: Sessions;
  logger: Logger;
  publicUrl: string | undefined;
}

export interface HandlerInput<S extends z.ZodRawShape, A extends AuthMode> {
  params: z.output<z.ZodObject<S>>;
  viewerId: Viewer<A>;
  /** Base of absolute media URLs: PUBLIC_URL, or the scheme and host the request came to. */
  mediaBase: string;
  services: Services;
}

/** One REST endpoint, declared: the shared machinery below does parsing, auth, validation and the envelope. */
export interface Endpoint<S extends z.ZodRawShape = z.ZodRawShape, A extends AuthMode = AuthMode> {
  method: 'GET' | 'POST';
  path: `/douyin/${string}/`;
  summary: string;
  auth: A;
  params: S;
  /** The documented response fields with zero values, sent along with every refusal. */
  refusal: Record<string, unknown>;
  handler(input: HandlerInput<S, A>): Promise<Record<string, unknown>>;
}

export function defineEndpoint<S extends z.ZodRawShape, A extends AuthMode>(endpoint: Endpoint<S, A>): Endpoint<S, A> {
  return endpoint;
}

const parseBody = koaBody({
  text: false,
  jsonLimit: '64kb',
  formLimit: '64kb',
  multipart: true,
  formidable: { maxFields: 100, maxFieldsSize: 64 * 1024, maxFiles: 0 },
});

export function mountEndpoint(router: Router, endpoint: Endpoint, services: Services): void {
  const schema = z.object(endpoint.params);
  const route = async (ctx: Context) => {
    try {
      await parseBodyOf(ctx);
      const raw = collectParams(ctx);
      const viewerId = await resolveViewer(endpoint.auth, raw.token ?? bearerToken(ctx), services.sessions);
      const parsed = schema.safeParse(raw);
      if (!parsed.success) throw new Refusal('INVALID_PARAMETER', describeIssue(parsed.error));
      const mediaBase = services.publicUrl ?? `${ctx.protocol}://${ctx.host}`;
      ctx.body = successBody(await endpoint.handler({ params: parsed.data, viewerId, mediaBase, services }));
    } catch (error) {
      const refusal = toRefusal(error, services.logger);
      ctx.status = refusal.httpStatus;
      ctx.body = refusalBody(refusal, endpoint.refusal);
    }
  };
  // Registered without its trailing slash: the router then matches the path with or without it.
  router.register(endpoint.path.slice(0, -1), [endpoint.method], route);
}

async function parseBodyOf(ctx: Context): Promise<void> {
  try {
    await parseBody(ctx, async () => undefined);
  } catch (error) {
    const maxFilesExceeded = 1015; // formidable's code: a file part where maxFiles is 0
    if ((error as { code?: unknown }).code === maxFilesExceeded) throw new Refusal('BODY_REJECTED', 'this endpoint accepts no file upload');
    throw error;
  }
}

function bearerToken(ctx: Context): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(ctx.get('authorization'));
  return match?.[1];
}
