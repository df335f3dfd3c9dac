// The feed (open to visitors), with likes, comments and follows once signed in.
import { $, api, element, session } from './api.js';
import { loadFriends } from './friends.js';

$('#refresh-feed').addEventListener('click', () => void loadFeed());

const EMPTY_LOOKS = 30;
const EMPTY_LOOK_MS = 2_000;
let emptyLooks = 0;
let loads = 0;

export async function loadFeed() {
  const load = ++loads;
  const answer = await api('GET', '/douyin/feed/', { latest_time: Date.now() }).catch((error) => error);
  if (load !== loads) return; // a later load (the one after signing in, say) shows the feed
  const videos = answer instanceof Error ? [] : answer.video_list;
  $('#feed').replaceChildren(...videos.map(videoCard));
  if (videos.length > 0) return;
  // A busy or restarting server may refuse a load: looking again is what the reader would do.
  const text = answer instanceof Error
    ? `The feed did not load (${answer.message}); this page looks again by itself.`
    : 'No videos yet: a first start makes a demo world within seconds, and this page looks again by itself (or publish one, or run npm run seed).';
  $('#feed').append(element('p', { className: 'empty', textContent: text }));
  if (emptyLooks++ < EMPTY_LOOKS) setTimeout(() => {
    if ($('#feed .empty')) void loadFeed(); // unless a video was published meanwhile
  }, EMPTY_LOOK_MS);
}

/** Puts a video just published on top of the feed; returns its card. */
export function showNewVideo(video) {
  $('#feed .empty')?.remove();
  $(`#feed article[data-id="${video.id}"]`)?.remove();
  const card = videoCard(video);
  $('#feed').prepend(card);
  return card;
}

function videoCard(video) {
  const signedIn = Boolean(session.token);
  return element('article', { className: 'video', dataset: { id: video.id } },
    element('video', { src: video.play_url, poster: video.cover_url, controls: true, preload: 'metadata', playsInline: true }),
    element('strong', { textContent: video.title }),
    element('div', { className: 'row' }, element('span', { textContent: `by ${video.author.name}` }), signedIn ? followButton(video.author) : undefined),
    likes(video, signedIn),
    comments(video, signedIn),
  );
}

function likes(video, signedIn) {
  const count = element('span', { className: 'likes', textContent: `${video.favorite_count} likes` });
  if (!signedIn) return element('div', { className: 'row' }, count);
  let liked = video.is_favorite;
  const like = element('button', { className: 'like', textContent: liked ? 'Unlike' : 'Like' });
  like.addEventListener('click', async () => {
    await api('POST', '/douyin/favorite/action/', { video_id: video.id, action_type: liked ? 2 : 1 });
    liked = !liked;
    video.favorite_count += liked ? 1 : -1;
    like.textContent = liked ? 'Unlike' : 'Like';
    count.textContent = `${video.favorite_count} likes`;
  });
  return element('div', { className: 'row' }, like, count);
}

export function followButton(user) {
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

function comments(video, signedIn) {
  const list = element('ul', { className: 'comments' });
  const show = element('button', { className: 'secondary', textContent: `${video.comment_count} comments` });
  show.addEventListener('click', async () => {
    const { comment_list: items } = await api('GET', '/douyin/comment/list/', { video_id: video.id });
    list.replaceChildren(...items.map((comment) => element('li', { textContent: `${comment.user.name}: ${comment.content}` })));
  });
  if (!signedIn) return element('div', {}, show, list);
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
