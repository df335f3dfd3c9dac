import { z } from 'zod';
import { DECIMAL_SPELLING, exactInteger } from '../../models/integer-spelling.js';
import { CLIENT_MSG_ID, isAcceptableText, textRule } from '../../models/text.js';

/** Parameter types shared by the endpoint definitions. Every parameter arrives as a string. */

const text = (expected: string) =>
  z.string({ error: (issue) => (issue.input === undefined ? 'is required' : `must be ${expected}`) });

/** An integer from `min` to `max` in any decimal spelling of it: `7`, `7.0`, `7e0`, `0.7e1` (compatibility.md). */
export const integer = (rule: string, min: number, max = Number.MAX_SAFE_INTEGER) =>
  text(rule)
    .regex(DECIMAL_SPELLING, `must be ${rule}`)
    .transform((spelling, ctx) => {
      const value = exactInteger(spelling);
      if (value !== undefined && value >= min && value <= max) return value;
      ctx.issues.push({ code: 'custom', input: spelling, message: value === Infinity ? 'is too large' : `must be ${rule}` });
      return z.NEVER;
    });

export const id = integer('a positive integer', 1);

export const USERNAME_RULE = '1 to 32 letters, digits or _ . - @';
export const username = text('a string')
  .transform((value) => value.normalize('NFC'))
  .refine((value) => /^[\p{L}\p{N}_.@-]{1,32}$/u.test(value), `must be ${USERNAME_RULE}`);

export const PASSWORD_RULE = '6 to 128 characters, no control characters';
export const password = text('a string').regex(/^[^\p{Cc}]{6,128}$/u, `must be ${PASSWORD_RULE}`);

/** Formats the first problem zod found as a status_msg, e.g. "user_id must be a positive integer". */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid parameters';
  return `${issue.path.join('.') || 'parameters'} ${issue.message}`;
}

export const title = text('a string').refine((value) => isAcceptableText(value, 100) && !/\p{Cc}/u.test(value), textRule(100));

/**
 * A time in epoch seconds or milliseconds (clients send both): values below 10^11 are seconds; 0 means
 * none. It becomes two exclusive bounds in ms: `before` for "published before it", `after` for "created
 * after it". A time in seconds covers its whole second in both, so paging with it never skips anything.
 */
export const timestamp = integer('a timestamp in seconds or milliseconds', 0).transform((value) => {
  if (value === 0) return undefined;
  return value < 1e11 ? { before: (value + 1) * 1000, after: value * 1000 - 1 } : { before: value, after: value };
});

export const limit = (max: number) => integer(`an integer from 1 to ${max}`, 1, max);

export const actionType = integer('1 or 2', 1, 2).transform((value) => value as 1 | 2);

/** Free text that is not blank and has no control characters other than newlines. */
export const content = (max: number) => text('a string').refine((value) => isAcceptableText(value, max), textRule(max));

export const clientMsgId = z.string().regex(CLIENT_MSG_ID, 'must be 1 to 64 letters, digits, _ or -');

/** Paging of the lists beyond the documented API: `cursor` is the previous page's `next_cursor`. */
export const paging = { cursor: id.optional(), limit: limit(100).optional() };
export const DEFAULT_PAGE_SIZE = 100;

/** The page a request asks for, from its `cursor` and `limit`. */
export function pageOf(params: { cursor?: number | undefined; limit?: number | undefined }): { before: number | undefined; limit: number } {
  return { before: params.cursor, limit: params.limit ?? DEFAULT_PAGE_SIZE };
}
