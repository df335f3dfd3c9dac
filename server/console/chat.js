// Friends and the chat with one of them: its history from the REST API, then messages as they are pushed.
import { $, api, element, note, session } from './api.js';
import { socket } from './live.js';

let chatPeer;
/** The newest message seen, from which a reconnect catches up. */
export let lastMessageId = 0;

$('#refresh-friends').addEventListener('click', () => void loadFriends());

export async function loadFriends() {
  const { user_list: friends } = await api('GET', '/douyin/relation/friend/list/', { user_id: session.userId });
  $('#friends').replaceChildren(...friends.map((friend) => {
    const item = element('li', { textContent: `${friend.name}${friend.message ? `: ${friend.message}` : ''}`, dataset: { id: friend.id } });
    item.addEventListener('click', () => void openChat(friend));
    return item;
  }));
  if (friends.length === 0) $('#friends').append(element('li', { textContent: 'No friends yet: follow someone who follows you.' }));
}

async function openChat(friend) {
  chatPeer = friend;
  $('#chat').hidden = false;
  $('#chat-peer').textContent = friend.name;
  $('#chat-log').replaceChildren();
  const { message_list: history } = await api('GET', '/douyin/message/chat/', { to_user_id: friend.id });
  history.forEach(showMessage);
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

/** 32 hex digits; crypto.randomUUID exists only on https and localhost pages, getRandomValues everywhere. */
function randomId() {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, '0')).join('');
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
  return true;
}
