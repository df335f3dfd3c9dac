// The notification inbox (kept by the server while the user was away): the list, the unread badge, Mark read.
import { $, api, element } from './api.js';
import { followButton } from './feed.js';

let newest = 0;
let unread = 0;

$('#mark-read').addEventListener('click', async () => {
  if (newest === 0) return;
  const { unread_count: count } = await api('POST', '/douyin/notification/read/', { up_to_id: newest });
  document.querySelectorAll('#notifications li.unread').forEach((item) => {
    if (Number(item.dataset.id) <= newest) item.classList.remove('unread');
  });
  setUnread(count);
});

export async function loadNotifications() {
  const { notification_list: items, unread_count: count } = await api('GET', '/douyin/notification/list/', { limit: 50 });
  $('#notifications').replaceChildren(...items.map(notificationItem));
  newest = Math.max(newest, ...items.map((item) => item.id));
  setUnread(count);
}

/** One pushed live (`notification:new`). */
export function addNotification(notification) {
  if ($(`#notifications li[data-id="${notification.id}"]`)) return; // listed already
  $('#notifications').prepend(notificationItem(notification));
  newest = Math.max(newest, notification.id);
  setUnread(unread + 1);
}

/** One withdrawn (`notification:removed`: an unlike, unfollow or deleted comment). */
export function removeNotification({ id }) {
  const item = $(`#notifications li[data-id="${id}"]`);
  if (!item) return;
  if (item.classList.contains('unread')) setUnread(Math.max(0, unread - 1));
  item.remove();
}

function notificationItem(notification) {
  const { user, video, comment } = notification;
  const text = {
    favorite: () => `${user.name} liked your video “${video.title}”`,
    comment: () => `${user.name} commented on “${video.title}”: ${comment.content}`,
    follow: () => `${user.name} followed you${user.is_follow ? ': you are friends' : ''}`,
  }[notification.type]();
  const followBack = notification.type === 'follow' && !user.is_follow ? followButton(user) : undefined;
  return element('li', { textContent: text, className: notification.is_read ? '' : 'unread', dataset: { id: notification.id } }, followBack);
}

function setUnread(count) {
  unread = count;
  $('#unread').textContent = String(count);
  $('#unread').hidden = count === 0;
}
