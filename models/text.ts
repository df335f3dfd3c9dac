/** Limits of the free texts users write. */
export const COMMENT_MAX_LENGTH = 500;
export const MESSAGE_MAX_LENGTH = 1000;

/** Not blank, at most `max` characters, no control characters other than newlines and tabs. */
export function isAcceptableText(value: string, max: number): boolean {
  return value.trim().length > 0 && [...value].length <= max && !/[\0-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]/.test(value);
}

export function textRule(max: number): string {
  return `must be 1 to ${max} characters, not blank, no control characters`;
}

/** A client's own id for a message, for safe retries. */
export const CLIENT_MSG_ID = /^[\w-]{1,64}$/;
