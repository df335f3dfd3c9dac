// Publishing a video: the upload with its progress, then its processing (pushed by the gateway), the new
// video on top of the feed with its cover, and the finished video playing from its HLS renditions.
import { $, api, session } from './api.js';
import { showNewVideo } from './feed.js';
import { playHls } from './player.js';

const COVER_POLL_MS = 1_000;
const COVER_POLLS = 60;

$('#publish-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target;
  const button = form.querySelector('button');
  button.disabled = true;
  try {
    const body = new FormData();
    // The token and title before the file: the server refuses an upload it has no right to read.
    body.append('token', session.token);
    body.append('title', form.elements.title.value);
    body.append('data', form.elements.data.files[0]);
    await upload('/douyin/publish/action/', body);
    form.reset();
    const { video_list: [video] } = await api('GET', '/douyin/publish/list/', { user_id: session.userId, limit: 1 });
    // Plays already (an MP4 remuxed while the publish waited): on top of the feed at once.
    if (video.state === 'ready') void watchCover(showNewVideo(video), video);
    void followProcessing(video);
  } catch (error) {
    status(`Not published: ${error.message}`);
  } finally {
    button.disabled = false;
  }
});

/** Sends `body` with XMLHttpRequest, which (unlike fetch) reports the upload's progress. */
function upload(path, body) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', path);
    request.responseType = 'json';
    request.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) status(`Uploading ${Math.floor((100 * event.loaded) / event.total)}%`, (100 * event.loaded) / event.total);
    });
    request.upload.addEventListener('load', () => status('Uploaded: checking the video', 100));
    request.addEventListener('load', () => {
      if (request.response?.status_code !== 0) return reject(new Error(request.response?.status_msg ?? `HTTP ${request.status}`));
      status('Published', 100);
      resolve(request.response);
    });
    request.addEventListener('error', () => reject(new Error('the connection failed')));
    status('Uploading 0%', 0);
    request.send(body);
  });
}

/** What the gateway said of each video of this session being processed: its progress, then its end. */
const processing = new Map();

function processingOf(videoId) {
  if (!processing.has(videoId)) {
    let settle;
    const ended = new Promise((resolve) => (settle = resolve));
    processing.set(videoId, { percent: 0, ended, settle, watched: false });
  }
  return processing.get(videoId);
}

export function onProgress({ video_id: videoId, percent }) {
  const entry = processingOf(videoId);
  entry.percent = percent;
  if (entry.watched) showProcessing(entry);
}

export function onReady({ video }) {
  processingOf(video.id).settle({ video });
}

export function onFailed({ video_id: videoId, status_msg: reason }) {
  processingOf(videoId).settle({ reason });
}

/** The bar follows processing; for a video that plays already (its HLS renditions to come) it stays full. */
function showProcessing(entry) {
  if (entry.playing) status(`Published: making its HLS renditions ${entry.percent}%`);
  else status(`Published: processing ${entry.percent}%`, entry.percent);
}

/** Shows the processing of `video` until it ends: the video playing from its HLS renditions, or why it failed. */
async function followProcessing(video) {
  const entry = processingOf(video.id);
  entry.watched = true;
  entry.playing = video.state === 'ready';
  showProcessing(entry);
  const { video: ready, reason } = await entry.ended;
  processing.delete(video.id);
  if (!ready) return status(`Not published: ${reason}`, 0);
  if (video.state !== 'ready') void watchCover(showNewVideo(ready), ready);
  status('Published: ready, playing its HLS stream', 100);
  const player = $('#published');
  player.hidden = false;
  player.dataset.videoId = ready.id;
  player.dataset.via = await playHls(player, ready.hls_url);
  await player.play().catch(() => undefined); // a browser may refuse to start it unasked: the controls are there
}

function status(text, percent) {
  $('#upload').hidden = false;
  $('#upload-status').textContent = text;
  if (percent !== undefined) $('#upload-progress').value = percent;
}

/**
 * The server makes the cover after the upload; until then the cover's URL serves a placeholder that
 * is never cached (or, with media in a bucket, nothing). Asks this origin's /media/ route, which
 * knows wherever the media lives, until the real cover exists.
 */
async function watchCover(card, video) {
  const coverPath = `/media/covers/${video.id}.jpg`;
  for (let poll = 0; poll < COVER_POLLS; poll += 1) {
    const response = await fetch(coverPath, { method: 'HEAD', cache: 'no-store' });
    if (response.headers.get('content-type')?.startsWith('image/jpeg')) {
      // A new URL, or the browser keeps the placeholder shown; a presigned URL takes no new query parameter.
      const sameOrigin = new URL(video.cover_url).origin === location.origin;
      card.querySelector('video').poster = `${video.cover_url}${sameOrigin ? '?made' : '#made'}`;
      card.dataset.cover = 'made';
      return;
    }
    card.dataset.cover = 'pending';
    await new Promise((resolve) => setTimeout(resolve, COVER_POLL_MS));
  }
}
