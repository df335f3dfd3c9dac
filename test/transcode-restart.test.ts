import { readdir } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { client } from './helpers/api.js';
import { makeClip } from './helpers/clips.js';
import { temporaryDir } from './helpers/dirs.js';
import { finishedAfterRestart, publishWatched } from './helpers/processing.js';
import { startServer } from './helpers/server.js';
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
  await finishedAfterRestart(t, second, author, published.listed.id, fixtures);
  t.deepEqual(await readdir(path.join(dataDir, 'media', 'sources')), [], 'the upload is gone once processed');
});
