/** The shapes clients see (douyin-api.md with compatibility.md), shared by REST and realtime. */
export interface UserView {
  id: number;
  name: string;
  follow_count: number;
  follower_count: number;
  is_follow: boolean;
  avatar: string;
  background_image: string;
  signature: string;
  total_favorited: number;
  work_count: number;
  favorite_count: number;
}

/** What a refused answer carries where a user is expected: every field, zero-valued. */
export const EMPTY_USER: UserView = {
  id: 0,
  name: '',
  follow_count: 0,
  follower_count: 0,
  is_follow: false,
  avatar: '',
  background_image: '',
  signature: '',
  total_favorited: 0,
  work_count: 0,
  favorite_count: 0,
};

/** Site-relative paths of the images used until a user sets their own. */
export const DEFAULT_AVATAR_PATH = '/assets/avatar.png';
export const DEFAULT_BACKGROUND_PATH = '/assets/background.png';

/** Turns a stored media reference (absolute URL or site-relative path) into an absolute URL. */
export function mediaUrl(base: string, reference: string): string {
  return /^https?:\/\//.test(reference) ? reference : base + reference;
}

export interface VideoView {
  id: number;
  author: UserView;
  play_url: string;
  cover_url: string;
  favorite_count: number;
  comment_count: number;
  is_favorite: boolean;
  title: string;
  /** Extensions: `processing` until the upload plays everywhere (only its author sees it meanwhile), or `failed`. */
  state: 'processing' | 'ready' | 'failed';
  /** Why processing failed; empty otherwise. */
  failure: string;
  /** The HLS master playlist; empty until the renditions are made. */
  hls_url: string;
  /** Seconds and pixels as played; 0 while unknown. */
  duration: number;
  width: number;
  height: number;
}

/** A friend in the friend list: the user plus the latest message between the two. */
export interface FriendView extends UserView {
  message: string;
  /** 0: the viewer received `message`; 1: the viewer sent it. */
  msgType: 0 | 1;
  /** Messages from this friend after the viewer's read position. */
  unread_count: number;
  /** The id up to which this friend has read the viewer's messages (0: none). */
  peer_read_id: number;
  /** Whether this friend has a socket connected now, on any process. */
  is_online: boolean;
}

export interface CommentView {
  id: number;
  user: UserView;
  content: string;
  /** mm-dd */
  create_date: string;
}

export interface MessageView {
  id: number;
  to_user_id: number;
  from_user_id: number;
  content: string;
  /** Epoch milliseconds as a string of digits. */
  create_time: string;
}
