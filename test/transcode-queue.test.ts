import test from 'ava';
import mongoose from 'mongoose';
import { client } from './helpers/api.js';
import { makeClip } from './helpers/clips.js';
import { temporaryDir } from './helpers/dirs.js';
import { ownVideoWhen, publishWatched } from './helpers/processing.js';
import { lineMatching, startServer } from './helpers/server.js';
import { startTestStore } from './helpers/store.js';

test('the queue lives in the store: a process with TRANSCODE_CONCURRENCY=0 queues, another one sharing the store processes', async (t) => {
  const fixtures = temporaryDir('douyin-queue-fixtures-');
  const dataDir = temporaryDir('douyin-queue-');
  const store = await startTestStore();
  t.teardown(() => store.stop());
  const mongoUrl = `${store.url}transcode_queue`;
  // One media directory for both, as processes on one host (or a shared volume) have.
  const front = await startServer({ MONGO_URL: mongoUrl, DATA_DIR: dataDir, TRANSCODE_CONCURRENCY: '0' });
  t.teardown(() => front.stop());
  const api = client(front.baseUrl);
  const author = await api.newUser('queued');
  const clip = await makeClip(fixtures, 'vp9');
  const published = await publishWatched(api, front.realtimeUrl, author, clip.bytes, clip.filename);
  t.teardown(() => published.socket.close());
  t.is(published.listed.state, 'processing');

  const db = await mongoose.createConnection(mongoUrl).asPromise();
  t.teardown(() => db.close());
  await new Promise((resolve) => setTimeout(resolve, 6_000)); // longer than a poll
  t.is((await api.get('/douyin/publish/list/', { token: author.token })).body.video_list[0].state, 'processing', 'nobody has taken it');
  t.like(await db.collection('transcode_jobs').findOne({ _id: published.listed.id as never }), { stage: 'mp4', attempts: 0 });

  const worker = await startServer({ MONGO_URL: mongoUrl, DATA_DIR: dataDir });
  t.teardown(() => worker.stop());
  const done = await ownVideoWhen(api, author.token, published.listed.id, (video) => video.hls_url !== '', 60_000);
  t.is(done.state, 'ready', 'the queuing process sees it processed');
  await t.notThrowsAsync(lineMatching(worker, /"attempt":1.*"msg":"video processed"/, 10_000), 'by the other process');
  t.is(await db.collection('transcode_jobs').countDocuments(), 0, 'done jobs leave the queue');
  t.is(await db.collection('transcode_leases').countDocuments(), 0);
});
