import type { Logger } from 'pino';
import { z } from 'zod';
import type { Deadlines } from '../models/deadline.js';
import { inbox, isStoreUnavailable, messages, reads, Refusal, relations, Status } from '../models/index.js';
import type { CommentFormat } from '../models/comments.js';
import { exactInteger } from '../models/integer-spelling.js';
import { CLIENT_MSG_ID, isAcceptableText, MESSAGE_MAX_LENGTH, textRule } from '../models/text.js';
import type { Envelope, NotificationSyncAck, PresenceListAck, ReadAck, SendAck, SyncAck } from './contract.js';
import type { eventBudget } from './limits.js';
import type { GatewaySocket } from './types.js';

export const SYNC_PAGE_SIZE = 100;

/** A JSON number, or a string in any decimal spelling of an integer (load tools template ids into strings). */
const integer = (message: string) =>
  z.union([z.number(), z.string().transform((spelling) => exactInteger(spelling) ?? NaN)], { error: message })
    .pipe(z.number({ error: message }).int(message).min(0, message).max(Number.MAX_SAFE_INTEGER, message));

const userId = integer('must be a user id').refine((value) => value > 0, 'must be a user id');

const sendRequest = z.object({
  to_user_id: userId,
  content: z.string({ error: 'must be a string' }).refine((value) => isAcceptableText(value, MESSAGE_MAX_LENGTH), textRule(MESSAGE_MAX_LENGTH)),
  client_msg_id: z.string().regex(CLIENT_MSG_ID, 'must be 1 to 64 letters, digits, _ or -').optional(),
});

const syncRequest = z.object({
  to_user_id: userId.optional(),
  after_id: integer('must be a message id (0 for everything)'),
});

const notificationSyncRequest = z.object({
  after_id: integer('must be a notification id (0 for everything)'),
});

const readRequest = z.object({
  to_user_id: userId,
  up_to_id: integer('must be a message id'),
});

const typingRequest = z.object({ to_user_id: userId });

const presenceListRequest = z.object({}).optional();

export interface HandlerDeps {
  budget: ReturnType<typeof eventBudget>;
  /** The time an event is acknowledged within, as REST requests are answered, and the bound on waiting ones. */
  deadlines: Deadlines;
  /** Events being handled, so that shutdown can let their writes finish. */
  inFlight: Set<Promise<void>>;
  logger: Logger;
  requireFriendship: boolean;
  messageLimit: { consume(userId: number): Promise<void> };
  /** How views in acknowledgements render media URLs and comment dates. */
  views: CommentFormat;
  /** Whether a typing event of a pair is the first within its second (on all processes). */
  typingWindow: { first(key: string): Promise<boolean> };
  /** Tells `toUserId`'s sockets, on every process, that `fromUserId` is typing. */
  forwardTyping: (fromUserId: number, toUserId: number) => void;
  /** Which of these users are online now. */
  online: (userIds: readonly number[]) => Promise<Set<number>>;
}

/** The client → server events of the contract. Every one needs an acknowledgement callback. */
export function registerHandlers(socket: GatewaySocket, deps: HandlerDeps): void {
  const me = socket.data.userId;

  socket.on('message:send', (request, ack) =>
    handle(socket, deps, ack, {}, async (): Promise<SendAck> => {
      const { to_user_id, content, client_msg_id } = parse(sendRequest, request);
      await deps.messageLimit.consume(me);
      const { message } = await messages.sendMessage(me, to_user_id, content, {
        requireFriendship: deps.requireFriendship,
        clientMsgId: client_msg_id,
        origin: { socketId: socket.id },
      });
      return { ...success, message: messages.messageView(message) };
    }),
  );

  socket.on('message:sync', (request, ack) =>
    handle(socket, deps, ack, { message_list: [], has_more: false }, async (): Promise<SyncAck> => {
      const { to_user_id, after_id } = parse(syncRequest, request);
      const page = await messages.syncMessages(me, { withUserId: to_user_id, afterId: after_id, limit: SYNC_PAGE_SIZE });
      return { ...success, message_list: page.messages.map(messages.messageView), has_more: page.hasMore };
    }),
  );

  socket.on('notification:sync', (request, ack) =>
    handle(socket, deps, ack, { notification_list: [], has_more: false, unread_count: 0 }, async (): Promise<NotificationSyncAck> => {
      const { after_id } = parse(notificationSyncRequest, request);
      const page = await inbox.syncNotifications(me, after_id, SYNC_PAGE_SIZE, deps.views);
      return { ...success, notification_list: page.notifications, has_more: page.hasMore, unread_count: page.unreadCount };
    }),
  );

  socket.on('message:read', (request, ack) =>
    handle(socket, deps, ack, { unread_count: 0 }, async (): Promise<ReadAck> => {
      const { to_user_id, up_to_id } = parse(readRequest, request);
      const unread = await reads.markRead(me, to_user_id, up_to_id, { requireFriendship: deps.requireFriendship, origin: { socketId: socket.id } });
      return { ...success, unread_count: unread };
    }),
  );

  // Not stored: checked by the chat rule, then forwarded at most once a second per pair.
  socket.on('typing', (request, ack) =>
    handle(socket, deps, ack, {}, async (): Promise<Envelope> => {
      const { to_user_id } = parse(typingRequest, request);
      await messages.checkChatRule(me, to_user_id, deps.requireFriendship);
      if (await deps.typingWindow.first(`${me}>${to_user_id}`)) deps.forwardTyping(me, to_user_id);
      return success;
    }),
  );

  socket.on('presence:list', (request, ack) =>
    handle(socket, deps, ack, { online_user_ids: [] }, async (): Promise<PresenceListAck> => {
      parse(presenceListRequest, request);
      const friends = await relations.friendIds(me);
      const online = await deps.online(friends);
      return { ...success, online_user_ids: friends.filter((id) => online.has(id)) };
    }),
  );
}

const success = { status_code: Status.OK, status_msg: 'success' };

/**
 * Runs one client event: without an ack callback it is not run (nothing could tell the client what
 * happened) but counts against the socket's budget; over the budget an event is refused; any
 * failure becomes a refusal in the ack. It is acknowledged within the request deadline, as a REST
 * request is answered (50001 when the store did not answer in time).
 */
function handle<A extends Envelope>(
  socket: GatewaySocket,
  deps: HandlerDeps,
  ack: unknown,
  refusalFields: Omit<A, keyof Envelope>,
  work: () => Promise<A>,
): void {
  if (typeof ack !== 'function') {
    void deps.budget.allows(socket); // nothing to answer, but a flood of them still gets the socket dropped
    return;
  }
  const reply = ack as (answer: A) => void;
  const running = (async () => {
    if (!(await deps.budget.allows(socket))) return reply(refusal(new Refusal('RATE_LIMITED', 'too many events: slow down'), refusalFields));
    try {
      reply(await deps.deadlines.run(work, 'socket event'));
    } catch (error) {
      reply(refusal(toRefusal(error, deps.logger), refusalFields));
    }
  })();
  deps.inFlight.add(running);
  void running.finally(() => deps.inFlight.delete(running));
}

function parse<S extends z.ZodType>(schema: S, request: unknown): z.output<S> {
  const parsed = schema.safeParse(request);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new Refusal('INVALID_PARAMETER', issue?.path.length ? `${issue.path.join('.')} ${issue.message}` : 'the payload must be an object');
}

function toRefusal(error: unknown, logger: Logger): Refusal {
  if (error instanceof Refusal) return error;
  if (isStoreUnavailable(error)) return new Refusal('STORE_UNAVAILABLE');
  logger.error({ err: error }, 'unexpected error in a socket event');
  return new Refusal('INTERNAL_ERROR');
}

function refusal<A extends Envelope>(error: Refusal, fields: Omit<A, keyof Envelope>): A {
  return { status_code: error.code, status_msg: error.message, ...fields } as A;
}
