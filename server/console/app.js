// The web console: a small client of the public REST API and realtime contract, nothing private.
const $ = (selector) => document.querySelector(selector);
const session = {
  get token() { return sessionStorage.getItem('token'); },
  get userId() { return Number(sessionStorage.getItem('userId')); },
  save(token, userId, name) {
    sessionStorage.setItem('token', token);
    sessionStorage.setItem('userId', String(userId));
    sessionStorage.setItem('name', name);
  },
  clear() { sessionStorage.clear(); },
};
let socket;
let chatPeer;
let lastMessageId = 0;
let newestNotification = 0;
let unread = 0;

/** Calls a REST endpoint; resolves with the body when status_code is 0, otherwise rejects with status_msg. */
async function api(method, path, params = {}) {
  const search = new URLSearchParams({ ...params, ...(session.token ? { token: session.token } : {}) });
  const url = method === 'GET' ? `${path}?${search}` : path;
  const response = await fetch(url, method === 'GET' ? {} : { method, body: search });
  const body = await response.json();
  if (body.status_code !== 0) throw new Error(body.status_msg);
  return body;
}

function element(tag, { dataset = {}, ...props } = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  Object.assign(node.dataset, dataset);
  node.append(...children.filter((child) => child !== undefined));
  return node;
}

// --- signing in -------------------------------------------------------------------------------------

$('#auth-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const action = event.submitter?.value === 'register' ? 'register' : 'login';
  try {
    const body = await api('POST', `/douyin/user/${action}/`, { username: form.get('username'), password: form.get('password') });
    session.save(body.token, body.user_id, form.get('username'));
    $('#auth-error').textContent = '';
    start();
  } catch (error) {
    $('#auth-error').textContent = error.message;
  }
});

$('#logout').addEventListener('click', () => {
  socket?.disconnect();
  session.clear();
  location.reload();
});

function start() {
  $('#auth').hidden = true;
  $('#app').hidden = false;
  $('#logout').hidden = false;
  $('#whoami').textContent = `${sessionStorage.getItem('name')} (#${session.userId})`;
  connect();
  void loadFeed();
  void loadFriends();
  void loadNotifications();
}

// --- feed, likes, comments, follows -------------------------------------------------------------------

$('#refresh-feed').addEventListener('click', () => void loadFeed());

async function loadFeed() {
  const { video_list: videos } = await api('GET', '/douyin/feed/', { latest_time: Date.now() });
  $('#feed').replaceChildren(...videos.map(videoCard));
  if (videos.length === 0) $('#feed').append(element('p', { textContent: 'No videos yet: run npm run seed, or publish one through the API.' }));
}

function videoCard(video) {
  const likes = element('span', { className: 'likes', textContent: `${video.favorite_count} likes` });
  let liked = video.is_favorite;
  const like = element('button', { className: 'like', textContent: liked ? 'Unlike' : 'Like' });
  like.addEventListener('click', async () => {
    await api('POST', '/douyin/favorite/action/', { video_id: video.id, action_type: liked ? 2 : 1 });
    liked = !liked;
    video.favorite_count += liked ? 1 : -1;
    like.textContent = liked ? 'Unlike' : 'Like';
    likes.textContent = `${video.favorite_count} likes`;
  });
  const card = element('article', { className: 'video', dataset: { id: video.id } },
    element('video', { src: video.play_url, poster: video.cover_url, controls: true, preload: 'metadata', playsInline: true }),
    element('strong', { textContent: video.title }),
    element('div', { className: 'row' }, element('span', { textContent: `by ${video.author.name}` }), followButton(video.author)),
    element('div', { className: 'row' }, like, likes),
    comments(video),
  );
  return card;
}

function followButton(user) {
  if (user.id === session.userId) return undefined;
  let following = user.is_follow;
  const button = element('button', { className: 'follow secondary', textContent: following ? 'Unfollow' : 'Follow' });
  button.addEventListener('click', async () => {
    await api('POST', '/douyin/relation/action/', { to_user_id: user.id, action_type: following ? 2 : 1 });
    following = !following;
    button.textContent = following ? 'Unfollow' : 'Follow';
    void loadFriends();
  });
  return button;
}

function comments(video) {
  const list = element('ul', { className: 'comments' });
  const show = element('button', { className: 'secondary', textContent: `${video.comment_count} comments` });
  show.addEventListener('click', async () => {
    const { comment_list: items } = await api('GET', '/douyin/comment/list/', { video_id: video.id });
    list.replaceChildren(...items.map((comment) => element('li', { textContent: `${comment.user.name}: ${comment.content}` })));
  });
  const form = element('form', { className: 'row' }, element('input', { name: 'text', placeholder: 'comment', required: true, maxLength: 500 }), element('button', { textContent: 'Post' }));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const { comment } = await api('POST', '/douyin/comment/action/', { video_id: video.id, action_type: 1, comment_text: form.elements.text.value });
    form.reset();
    list.append(element('li', { textContent: `${comment.user.name}: ${comment.content}` }));
    show.textContent = `${++video.comment_count} comments`;
  });
  return element('div', {}, show, list, form);
}

// --- friends and chat -------------------------------------------------------------------------------

$('#refresh-friends').addEventListener('click', () => void loadFriends());

async function loadFriends() {
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
  const { message_list: history } = await api('GET', '/douyin/message/chat/', { to_user_id: friend.id });
  $('#chat-log').replaceChildren();
  history.forEach(showMessage);
}

$('#chat-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = event.target.elements.content;
  const content = input.value;
  socket.emit('message:send', { to_user_id: chatPeer.id, content, client_msg_id: randomId() }, (ack) => {
    if (ack.status_code !== 0) return note(`Not sent: ${ack.status_msg}`);
    input.value = '';
    showMessage(ack.message);
  });
});

/** 32 hex digits; crypto.randomUUID exists only on https and localhost pages, getRandomValues everywhere. */
function randomId() {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

function showMessage(message) {
  lastMessageId = Math.max(lastMessageId, message.id);
  const peer = chatPeer?.id;
  if (!peer || (message.from_user_id !== peer && message.to_user_id !== peer)) return;
  if ($(`#chat-log li[data-id="${message.id}"]`)) return; // pushed and acknowledged: shown once
  const mine = message.from_user_id === session.userId;
  $('#chat-log').append(element('li', { className: mine ? 'mine' : '', textContent: message.content, dataset: { id: message.id } }));
  $('#chat-log').scrollTop = $('#chat-log').scrollHeight;
}

// --- notifications (kept by the server while offline) -----------------------------------------------

$('#mark-read').addEventListener('click', async () => {
  if (newestNotification === 0) return;
  const { unread_count: count } = await api('POST', '/douyin/notification/read/', { up_to_id: newestNotification });
  document.querySelectorAll('#notifications li.unread').forEach((item) => {
    if (Number(item.dataset.id) <= newestNotification) item.classList.remove('unread');
  });
  setUnread(count);
});

async function loadNotifications() {
  const { notification_list: items, unread_count: count } = await api('GET', '/douyin/notification/list/', { limit: 50 });
  $('#notifications').replaceChildren(...items.map(notificationItem));
  newestNotification = Math.max(newestNotification, ...items.map((item) => item.id));
  setUnread(count);
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

// --- live events ------------------------------------------------------------------------------------

function note(text) {
  $('#activity').prepend(element('li', { textContent: text }));
}

async function realtimeUrl() {
  const config = await (await fetch('/console/config.json')).json();
  return config.realtimeUrl;
}

async function connect() {
  socket = io(await realtimeUrl(), { auth: { token: session.token }, transports: ['websocket'] });
  let connectedBefore = false;
  socket.on('connect', () => {
    $('#live').textContent = 'live';
    $('#live').className = 'badge online';
    if (lastMessageId > 0) void catchUp();
    if (connectedBefore) void loadNotifications(); // what happened while the socket was away
    connectedBefore = true;
  });
  socket.on('disconnect', () => {
    $('#live').textContent = 'offline';
    $('#live').className = 'badge';
  });
  socket.on('connect_error', (error) => {
    if (error.message === 'unauthorized') $('#logout').click();
  });
  socket.on('message:new', (message) => {
    showMessage(message);
    if (message.from_user_id !== session.userId && message.from_user_id !== chatPeer?.id) note(`New message: ${message.content}`);
  });
  socket.on('relation:follow', ({ action_type: action, user }) => {
    if (action === 2) note(`${user.name} unfollowed you`);
    void loadFriends();
  });
  socket.on('notification:new', (notification) => {
    if ($(`#notifications li[data-id="${notification.id}"]`)) return; // listed already
    $('#notifications').prepend(notificationItem(notification));
    newestNotification = Math.max(newestNotification, notification.id);
    setUnread(unread + 1);
  });
}

/** After a reconnect: every message since the last one seen, page by page. */
async function catchUp() {
  for (let more = true; more;) {
    const page = await socket.emitWithAck('message:sync', { after_id: lastMessageId });
    if (page.status_code !== 0) return;
    page.message_list.forEach(showMessage);
    more = page.has_more && page.message_list.length > 0;
  }
}

if (session.token) start();
