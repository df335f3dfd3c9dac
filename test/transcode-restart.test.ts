import { readdir } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { client } from './helpers/api.js';
import { makeClip } from './helpers/clips.js';
import { temporaryDir } from './helpers/dirs.js';
import { checkHls, mp4Faults } from './helpers/playable.js';
import { ownVideoWhen, publishWatched } from './helpers/processing.js';
import { lineMatching, startServer } from './helpers/server.js';
import { startTestStore } from './helpers/store.js';

test('a server SIGKILLed mid-transcode: the next start takes the job up again and finishes it', async (t) => {
  const fixtures = temporaryDir('douyin-restart-fixtures-');
  const dataDir = temporaryDir('douyin-restart-');
  const store = await startTestStore();
  t.teardown(() => store.stop());
  const env = { MONGO_URL: `${store.url}transcode_restart`, DATA_DIR: dataDir };
  const first = await startServer(env);
  t.teardown(() => first.stop('SIGKILL'));
  // Ten seconds of 720p HEVC: several seconds of encoding here, time enough to be killed in it.
  const clip = await makeClip(fixtures, 'hevc', { seconds: 10, size: '1280x720' });
  const api = client(first.baseUrl);
  const author = await api.newUser('killed');
  const published = await publishWatched(api, first.realtimeUrl, author, clip.bytes, clip.filename);
  t.teardown(() => published.socket.close());
  t.is(published.listed.state, 'processing');
  const [progress] = await published.socket.waitFor('video:progress', 1, 60_000);
  t.log('killed at', progress);
  await first.stop('SIGKILL');

  const second = await startServer(env);
  t.teardown(() => second.stop());
  const again = client(second.baseUrl);
  const done = await ownVideoWhen(again, author.token, published.listed.id, (candidate) => candidate.hls_url !== '', 180_000);
  t.is(done.state, 'ready');
  // The job's end is logged once the video is done: just after hls_url shows.
  await t.notThrowsAsync(lineMatching(second, /"attempt":2.*"msg":"video processed"/, 10_000), 'the second attempt finished it');
  const { faults, probed } = await mp4Faults(Buffer.from(await (await fetch(done.play_url)).arrayBuffer()), fixtures);
  t.deepEqual(faults, []);
  t.true(Math.abs(probed.duration - 10) < 0.35);
  t.deepEqual((await checkHls(done.hls_url, fixtures, 4.6)).faults, []);
  t.deepEqual(await readdir(path.join(dataDir, 'media', 'sources')), [], 'the upload is gone once processed');
});
