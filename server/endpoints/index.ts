import type { Endpoint } from '../http/endpoint.js';
import commentAction from './comment-action.js';
import commentList from './comment-list.js';
import favoriteAction from './favorite-action.js';
import favoriteList from './favorite-list.js';
import feed from './feed.js';
import messageAction from './message-action.js';
import messageChat from './message-chat.js';
import messageRead from './message-read.js';
import notificationList from './notification-list.js';
import notificationRead from './notification-read.js';
import publishAction from './publish-action.js';
import publishList from './publish-list.js';
import relationAction from './relation-action.js';
import relationFollowList from './relation-follow-list.js';
import relationFollowerList from './relation-follower-list.js';
import relationFriendList from './relation-friend-list.js';
import userInfo from './user-info.js';
import userLogin from './user-login.js';
import userLogout from './user-logout.js';
import userRegister from './user-register.js';

/** Every REST endpoint, in the order of douyin-api.md, then the extensions (notifications, logout, read receipts). */
export const endpoints: Endpoint[] = [
  userRegister, userLogin, userInfo,
  publishAction, feed, publishList,
  favoriteAction, favoriteList, commentAction, commentList,
  relationAction, relationFollowList, relationFollowerList, relationFriendList,
  messageChat, messageAction,
  notificationList, notificationRead,
  userLogout,
  messageRead,
];
