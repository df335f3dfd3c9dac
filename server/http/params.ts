import type { Context } from 'koa';
import { Refusal } from '../../models/index.js';

export type RawParams = Record<string, string>;

/**
 * Every parameter from the query string and the parsed body (urlencoded, multipart fields or JSON),
 * as single strings. Anything that is not one plain value, such as `user_id[$ne]=1` parsed into an
 * object or one name given twice with different values, is refused here, so no client-built object
 * can ever reach a query.
 */
export function collectParams(ctx: Context): RawParams {
  const params: RawParams = Object.create(null);
  // A repeated name in a query string or form arrives as a list; JSON has no repeated names, so a list there is a list.
  const repeatable = !ctx.request.is('json');
  for (const [source, listsAreRepeats] of [[ctx.query, true], [bodyFields(ctx), repeatable]] as const) {
    for (const [name, value] of Object.entries(source)) {
      const items = listsAreRepeats && Array.isArray(value) ? value : [value];
      for (const item of items) addParam(params, name, item);
    }
  }
  return params;
}

function bodyFields(ctx: Context): Record<string, unknown> {
  const body: unknown = ctx.request.body;
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new Refusal('BODY_REJECTED', 'request body must be a form or a JSON object');
  }
  return body as Record<string, unknown>;
}

function addParam(params: RawParams, name: string, value: unknown): void {
  if (value === undefined) return;
  if (/[[\]]/.test(name)) throw new Refusal('INVALID_PARAMETER', `${name}: bracketed parameter names are not accepted`);
  const text = scalarText(value);
  if (text === undefined) throw new Refusal('INVALID_PARAMETER', `${name} must be a single value, not an object or a list`);
  const previous = params[name];
  if (previous !== undefined && previous !== text) {
    throw new Refusal('INVALID_PARAMETER', `${name} is given more than once with different values`);
  }
  params[name] = text;
}

function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  return undefined;
}
