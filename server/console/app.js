// The web console: a small client of the public REST API and realtime contract, nothing private.
// Visitors see the feed; signing in adds likes, comments, follows, publishing, chat and notifications.
import { $, api, session } from './api.js';
import { loadFriends } from './friends.js';
import { loadFeed } from './feed.js';
import { connect, disconnect } from './live.js';
import { loadNotifications } from './notifications.js';
import './publish.js';

$('#auth-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const action = event.submitter?.value === 'register' ? 'register' : 'login';
  try {
    const body = await api('POST', `/douyin/user/${action}/`, { username: form.get('username'), password: form.get('password') });
    session.save(body.token, body.user_id, form.get('username'));
    $('#auth-error').textContent = '';
    signedIn();
  } catch (error) {
    $('#auth-error').textContent = error.message;
  }
});

$('#logout').addEventListener('click', async () => {
  disconnect();
  await api('POST', '/douyin/user/logout/').catch(() => undefined); // the token stops working everywhere
  session.clear();
  location.reload();
});

function signedIn() {
  $('#auth').hidden = true;
  $('#account').hidden = false;
  $('#logout').hidden = false;
  $('#live').hidden = false;
  $('#whoami').textContent = `${session.name} (#${session.userId})`;
  connect();
  void loadFeed();
  void loadFriends();
  void loadNotifications();
}

if (session.token) signedIn();
else void loadFeed();
