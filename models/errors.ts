/**
 * The status_code catalogue shared by REST answers and socket acknowledgements.
 * Codes are stable: add new ones, never renumber.
 */
export const Status = {
  OK: 0,
  INVALID_PARAMETER: 10001,
  UNKNOWN_ENDPOINT: 10002,
  METHOD_NOT_ALLOWED: 10003,
  BODY_REJECTED: 10004,
  UPLOAD_TOO_LARGE: 10005,
  NOT_A_VIDEO: 10006,
  LOGIN_REQUIRED: 20001,
  INVALID_TOKEN: 20002,
  WRONG_CREDENTIALS: 20003,
  USERNAME_TAKEN: 20004,
  RATE_LIMITED: 20005,
  TOKEN_BEFORE_FILE: 20006,
  USER_NOT_FOUND: 30001,
  VIDEO_NOT_FOUND: 30002,
  COMMENT_NOT_FOUND: 30003,
  CANNOT_FOLLOW_SELF: 40001,
  CANNOT_MESSAGE_SELF: 40002,
  FRIENDS_ONLY: 40003,
  NOT_COMMENT_OWNER: 40004,
  INTERNAL_ERROR: 50000,
  STORE_UNAVAILABLE: 50001,
  STORAGE_FULL: 50002,
  MEDIA_UNAVAILABLE: 50003,
} as const;

export type StatusName = keyof typeof Status;
export type StatusCode = (typeof Status)[StatusName];

const defaultMessages: Record<StatusName, string> = {
  OK: 'success',
  INVALID_PARAMETER: 'invalid parameter',
  UNKNOWN_ENDPOINT: 'unknown endpoint',
  METHOD_NOT_ALLOWED: 'method not allowed',
  BODY_REJECTED: 'request body rejected',
  UPLOAD_TOO_LARGE: 'video too large',
  NOT_A_VIDEO: 'data is not a video this server accepts',
  LOGIN_REQUIRED: 'login required: pass token',
  INVALID_TOKEN: 'invalid or expired token: log in again',
  WRONG_CREDENTIALS: 'wrong username or password',
  USERNAME_TAKEN: 'username already taken',
  RATE_LIMITED: 'too many attempts: try again later',
  TOKEN_BEFORE_FILE: 'too many uploads without a token in progress: send the token before the file (in the query, the Authorization header or a form field ahead of the file), or try again shortly',
  USER_NOT_FOUND: 'user not found',
  VIDEO_NOT_FOUND: 'video not found',
  COMMENT_NOT_FOUND: 'comment not found',
  CANNOT_FOLLOW_SELF: 'you cannot follow yourself',
  CANNOT_MESSAGE_SELF: 'you cannot message yourself',
  FRIENDS_ONLY: 'you can only message friends (users who follow you back)',
  NOT_COMMENT_OWNER: 'only the comment\'s author or the video\'s author can delete it',
  INTERNAL_ERROR: 'internal error',
  STORE_UNAVAILABLE: 'service temporarily unavailable: try again shortly',
  STORAGE_FULL: 'the server has no room for more videos right now',
  MEDIA_UNAVAILABLE: 'video storage temporarily unavailable: try again shortly',
};

/** A refusal the client can act on; transports turn it into their own envelope. */
export class Refusal extends Error {
  override name = 'Refusal';
  readonly code: StatusCode;

  constructor(
    readonly status: Exclude<StatusName, 'OK'>,
    message: string = defaultMessages[status],
  ) {
    super(message);
    this.code = Status[status];
  }
}
