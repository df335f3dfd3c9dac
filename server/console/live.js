// The realtime gateway: one authenticated socket per signed-in tab, and what its events change on the page.
import { $, note, session } from './api.js';
import { lastMessageId, readOpenChat, receiveMessage, receiveRead, receiveTyping, showMessage } from './chat.js';
import { loadFriends, updateFriend } from './friends.js';
import { addNotification, loadNotifications, removeNotification } from './notifications.js';
import { onFailed, onProgress, onReady } from './publish.js';

let live;

export const socket = () => live;

export function disconnect() {
  live?.disconnect();
}

async function realtimeUrl() {
  const config = await (await fetch('/console/config.json')).json();
  return config.realtimeUrl;
}

export async function connect() {
  live = io(await realtimeUrl(), { auth: { token: session.token }, transports: ['websocket'] });
  let connectedBefore = false;
  live.on('connect', () => {
    $('#live').textContent = 'live';
    $('#live').className = 'badge online';
    if (lastMessageId > 0) void catchUp();
    if (connectedBefore) { // what happened while the socket was away: unread counts and presence too
      void loadNotifications();
      void loadFriends();
    }
    connectedBefore = true;
  });
  live.on('disconnect', () => {
    $('#live').textContent = 'offline';
    $('#live').className = 'badge';
  });
  live.on('connect_error', (error) => {
    if (error.message === 'unauthorized') $('#logout').click();
  });
  live.on('message:new', receiveMessage);
  live.on('message:read', receiveRead);
  live.on('typing', receiveTyping);
  live.on('presence', ({ user_id: id, online }) => updateFriend(id, { online }));
  live.on('relation:follow', ({ action_type: action, user }) => {
    if (action === 2) note(`${user.name} unfollowed you`);
    void loadFriends();
  });
  live.on('notification:new', addNotification);
  live.on('notification:removed', removeNotification);
  live.on('video:progress', onProgress);
  live.on('video:ready', onReady);
  live.on('video:failed', onFailed);
}

/** After a reconnect: every message since the last one seen, page by page. */
async function catchUp() {
  for (let more = true; more;) {
    const page = await live.emitWithAck('message:sync', { after_id: lastMessageId });
    if (page.status_code !== 0) return;
    page.message_list.forEach(showMessage);
    more = page.has_more && page.message_list.length > 0;
  }
  readOpenChat();
}
