/**
 * The realtime contract (shared/api/realtime-contract.md) as types: the one definition of event names
 * and payloads that the gateway, the tests and the load scenarios all use.
 */
import type { NotificationView } from '../models/inbox.js';
import type { CommentView, MessageView, UserView, VideoView } from '../models/views.js';

export type { CommentView, MessageView, NotificationView, UserView, VideoView };

export interface Envelope {
  status_code: number;
  status_msg: string;
}

export interface FollowEvent {
  action_type: 1 | 2;
  /** The follower, as seen by the followed user. */
  user: UserView;
  is_friend: boolean;
}

export interface FavoriteEvent {
  video_id: number;
  /** The user who liked the video. */
  user: UserView;
  favorite_count: number;
}

export interface CommentEvent {
  video_id: number;
  comment: CommentView;
  comment_count: number;
}

export interface ServerToClientEvents {
  'message:new': (message: MessageView) => void;
  'relation:follow': (event: FollowEvent) => void;
  'favorite:new': (event: FavoriteEvent) => void;
  'comment:new': (event: CommentEvent) => void;
  /** A like, comment or follow stored in the recipient's inbox, to all of the recipient's sockets. */
  'notification:new': (notification: NotificationView) => void;
  /** A notification withdrawn (unlike, unfollow, comment deleted), to all of the recipient's sockets: screens drop it. */
  'notification:removed': (event: { id: number }) => void;
  /** A reader's position moved: to the peer (their messages up to `up_to_id` were seen) and the reader's other sockets. */
  'message:read': (event: ReadEvent) => void;
  /** The user `from_user_id` is typing to the recipient; at most one a second per pair. */
  typing: (event: { from_user_id: number }) => void;
  /** A friend's first socket connected (online) or last one disconnected (offline), on any process. */
  presence: (event: PresenceEvent) => void;
  /** How far the processing of the recipient's upload is (0-100), at most one a second, to all the author's sockets. */
  'video:progress': (event: { video_id: number; percent: number }) => void;
  /** The author's upload is processed and plays everywhere (it is in the feeds). */
  'video:ready': (event: { video: VideoView }) => void;
  /** The author's upload cannot be processed: why, in `status_msg`. */
  'video:failed': (event: { video_id: number; status_msg: string }) => void;
}

export interface ReadEvent {
  reader_id: number;
  peer_id: number;
  up_to_id: number;
  /** Epoch ms, digits. */
  read_time: string;
}

export interface PresenceEvent {
  user_id: number;
  online: boolean;
  /** Epoch ms, digits: when the user came online or went offline. */
  last_seen: string;
}

export interface ReadRequest {
  to_user_id: number;
  up_to_id: number;
}

export interface ReadAck extends Envelope {
  /** Unread messages over all the caller's conversations. */
  unread_count: number;
}

export interface TypingRequest {
  to_user_id: number;
}

export interface PresenceListAck extends Envelope {
  online_user_ids: number[];
}

export interface SendRequest {
  to_user_id: number;
  content: string;
  client_msg_id?: string;
}

export interface SendAck extends Envelope {
  message?: MessageView;
}

export interface SyncRequest {
  to_user_id?: number;
  after_id: number;
}

export interface SyncAck extends Envelope {
  message_list: MessageView[];
  has_more: boolean;
}

export interface NotificationSyncRequest {
  after_id: number;
}

export interface NotificationSyncAck extends Envelope {
  /** Oldest first. */
  notification_list: NotificationView[];
  has_more: boolean;
  unread_count: number;
}

export interface ClientToServerEvents {
  'message:send': (request: SendRequest, ack: (answer: SendAck) => void) => void;
  'message:sync': (request: SyncRequest, ack: (answer: SyncAck) => void) => void;
  'notification:sync': (request: NotificationSyncRequest, ack: (answer: NotificationSyncAck) => void) => void;
  'message:read': (request: ReadRequest, ack: (answer: ReadAck) => void) => void;
  typing: (request: TypingRequest, ack: (answer: Envelope) => void) => void;
  'presence:list': (request: Record<string, never>, ack: (answer: PresenceListAck) => void) => void;
}

/** What the gateway keeps on each socket. */
export interface SocketData {
  userId: number;
  /** The id of the token the socket was opened with: logging that token out closes the socket. */
  tokenId: string;
}

/** The refusal a client sees in `connect_error` when its token is missing, malformed, forged or expired. */
export const UNAUTHORIZED = 'unauthorized';

/** The `connect_error` message while the server cannot check tokens (its store is unreachable): retry later. */
export const UNAVAILABLE = 'unavailable';
