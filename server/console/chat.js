// The chat with one friend: its history from the REST API, then messages as they are pushed, read
// receipts both ways ("Seen" under the last message the friend has read) and the friend's typing.
import { $, api, element, note, session } from './api.js';
import { friendOf, onFriendChosen, updateFriend } from './friends.js';
import { socket } from './live.js';

/** How long "typing…" shows without news (the contract's 5 s), and how often this page says it types. */
const TYPING_SHOWN_MS = 5_000;
const TYPING_EVERY_MS = 1_000;

let chatPeer;
let typingHidden;
let typedAt = 0;
/** The newest message seen, from which a reconnect catches up. */
export let lastMessageId = 0;

onFriendChosen((friend) => void openChat(friend));

async function openChat(friend) {
  chatPeer = friend;
  $('#chat').hidden = false;
  $('#chat-peer').textContent = friend.name;
  $('#chat-log').replaceChildren();
  showTyping(false);
  const { message_list: history } = await api('GET', '/douyin/message/chat/', { to_user_id: friend.id });
  history.forEach(showMessage);
  markRead();
}

$('#chat-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = event.target.elements.content;
  socket().emit('message:send', { to_user_id: chatPeer.id, content: input.value, client_msg_id: randomId() }, (ack) => {
    if (ack.status_code !== 0) return note(`Not sent: ${ack.status_msg}`);
    input.value = '';
    showMessage(ack.message);
  });
});

$('#chat-form input').addEventListener('input', () => {
  if (!chatPeer || Date.now() - typedAt < TYPING_EVERY_MS) return;
  typedAt = Date.now();
  socket().emit('typing', { to_user_id: chatPeer.id }, () => undefined);
});

/** 32 hex digits; crypto.randomUUID exists only on https and localhost pages, getRandomValues everywhere. */
function randomId() {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** A pushed or caught-up message: shown in the open chat (and read there), or counted on its sender's badge. */
export function receiveMessage(message) {
  const mine = message.from_user_id === session.userId;
  const friendId = mine ? message.to_user_id : message.from_user_id;
  if (showMessage(message)) {
    if (!mine) {
      showTyping(false);
      markRead();
    }
    updateFriend(friendId, { last: message.content });
    return;
  }
  updateFriend(friendId, (entry) => ({ last: message.content, unread: entry.unread + (mine ? 0 : 1) }));
  if (!mine && !friendOf(friendId)) note(`New message: ${message.content}`);
}

/** Shows a message of the open chat (once, however it arrived); returns whether it belongs there. */
export function showMessage(message) {
  lastMessageId = Math.max(lastMessageId, message.id);
  const peer = chatPeer?.id;
  if (!peer || (message.from_user_id !== peer && message.to_user_id !== peer)) return false;
  if ($(`#chat-log li[data-id="${message.id}"]`)) return true; // pushed and acknowledged: shown once
  const mine = message.from_user_id === session.userId;
  const item = element('li', { className: mine ? 'mine' : '', textContent: message.content, dataset: { id: message.id } });
  // Ids grow with time: one pushed while the history was loading still lands in its place.
  const later = [...$('#chat-log').children].find((other) => Number(other.dataset.id) > message.id);
  $('#chat-log').insertBefore(item, later ?? null);
  $('#chat-log').scrollTop = $('#chat-log').scrollHeight;
  showSeen();
  return true;
}

/** After a catch-up: what the open chat shows is read. */
export function readOpenChat() {
  if (chatPeer) markRead();
}

/** Everything the open chat shows from the friend is read: the friend hears it, the badge clears (here and on other devices). */
function markRead() {
  const theirs = [...$('#chat-log').children].filter((item) => !item.classList.contains('mine'));
  const newest = Math.max(0, ...theirs.map((item) => Number(item.dataset.id)));
  updateFriend(chatPeer.id, { unread: 0 });
  if (newest > 0) socket().emit('message:read', { to_user_id: chatPeer.id, up_to_id: newest }, () => undefined);
}

/** A read receipt: the friend read this user's messages (Seen), or this user read theirs on another device. */
export function receiveRead({ reader_id: reader, peer_id: peer, up_to_id: upTo }) {
  if (reader === session.userId) return updateFriend(peer, { unread: 0 });
  updateFriend(reader, (entry) => ({ peerReadId: Math.max(entry.peerReadId, upTo) }));
  if (chatPeer?.id === reader) showSeen();
}

/** "Seen" under the last of this user's messages the friend has read. */
function showSeen() {
  const readUpTo = friendOf(chatPeer.id)?.peerReadId ?? 0;
  const mine = [...$('#chat-log').children].filter((item) => item.classList.contains('mine'));
  mine.forEach((item) => item.classList.remove('seen'));
  mine.filter((item) => Number(item.dataset.id) <= readUpTo).at(-1)?.classList.add('seen');
}

export function receiveTyping({ from_user_id: from }) {
  if (chatPeer?.id === from) showTyping(true);
}

function showTyping(shown) {
  clearTimeout(typingHidden);
  $('#typing').hidden = !shown;
  $('#typing').textContent = shown ? `${chatPeer.name} is typing…` : '';
  if (shown) typingHidden = setTimeout(() => showTyping(false), TYPING_SHOWN_MS);
}
