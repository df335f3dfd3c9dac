/** Limits of the free texts users write. */
export const COMMENT_MAX_LENGTH = 500;
export const MESSAGE_MAX_LENGTH = 1000;

/**
 * What shows nothing: white space, format characters (zero-width space and joiners, bidi marks) and
 * the blank letters that pass for text (Hangul fillers, the blank Braille pattern).
 */
const INVISIBLE = /[\s\p{Cf}\p{Zs}\u115f\u1160\u3164\uffa0\u2800]/gu;
const CONTROL = /[\0-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]/;
/** Half of a UTF-16 surrogate pair on its own: no character, and JSON and UTF-8 would each mangle it differently. */
const LONE_SURROGATE = /\p{Cs}/u;

/** Something visible, at most `max` characters, no control characters other than newlines and tabs, no broken characters. */
export function isAcceptableText(value: string, max: number): boolean {
  return value.replace(INVISIBLE, '').length > 0 && [...value].length <= max && !CONTROL.test(value) && !LONE_SURROGATE.test(value);
}

export function textRule(max: number): string {
  return `must be 1 to ${max} characters with something visible, no control characters`;
}

/** A client's own id for a message, for safe retries. */
export const CLIENT_MSG_ID = /^[\w-]{1,64}$/;
