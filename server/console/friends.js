// The friend list: each friend's last message, unread badge and online dot, kept current by pushed events.
import { $, api, element, session } from './api.js';

/** By friend id: { friend, last, unread, online, peerReadId, item }. */
const friends = new Map();
let open = () => undefined;

$('#refresh-friends').addEventListener('click', () => void loadFriends());

/** What a click on a friend does (the chat registers itself, so that neither module imports the other's state). */
export function onFriendChosen(choose) {
  open = choose;
}

export async function loadFriends() {
  const { user_list: list } = await api('GET', '/douyin/relation/friend/list/', { user_id: session.userId });
  friends.clear();
  $('#friends').replaceChildren(...list.map((friend) => {
    const entry = { friend, last: friend.message ?? '', unread: friend.unread_count ?? 0, online: friend.is_online ?? false, peerReadId: friend.peer_read_id ?? 0 };
    friends.set(friend.id, entry);
    return render(entry);
  }));
  if (list.length === 0) $('#friends').append(element('li', { textContent: 'No friends yet: follow someone who follows you.' }));
}

export const friendOf = (id) => friends.get(id);

/** Changes what is shown of a friend (nothing when they are not in the list). */
export function updateFriend(id, change) {
  const entry = friends.get(id);
  if (!entry) return;
  Object.assign(entry, typeof change === 'function' ? change(entry) : change);
  render(entry);
}

function render(entry) {
  const item = element('li', { dataset: { id: entry.friend.id } },
    element('span', { className: entry.online ? 'dot online' : 'dot', title: entry.online ? 'online' : 'offline' }),
    element('span', { textContent: entry.friend.name }),
    element('span', { className: 'last', textContent: entry.last ? `: ${entry.last}` : '' }),
    element('span', { className: 'badge unread', title: 'unread messages', textContent: entry.unread ? String(entry.unread) : '', hidden: entry.unread === 0 }));
  item.addEventListener('click', () => open(entry.friend));
  entry.item?.replaceWith(item);
  entry.item = item;
  return item;
}
