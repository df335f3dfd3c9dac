import { symlink } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { onPath } from '../server/store/files.js';
import { client } from './helpers/api.js';
import { makeClip } from './helpers/clips.js';
import { temporaryDir } from './helpers/dirs.js';
import { mp4Faults } from './helpers/playable.js';
import { outcome, publishWatched } from './helpers/processing.js';
import { startServer } from './helpers/server.js';
import { startTestStore } from './helpers/store.js';

test('where prlimit and nice are missing, ffmpeg runs without those bounds, the start says so, and uploads are still processed', async (t) => {
  const bin = temporaryDir('douyin-bin-');
  for (const tool of ['ffmpeg', 'ffprobe']) await symlink((await onPath(tool))!, path.join(bin, tool));
  const store = await startTestStore();
  t.teardown(() => store.stop());
  const server = await startServer({ MONGO_URL: `${store.url}transcode_bounds`, PATH: bin });
  t.teardown(() => server.stop());
  for (const bound of ['its memory (prlimit is not installed)', 'its priority (nice is not installed)']) {
    t.true(server.output.some((line) => line.includes(`ffmpeg runs without a bound on ${bound}`)), server.output.join('\n'));
  }
  const api = client(server.baseUrl);
  const author = await api.newUser('unbounded');
  const clip = await makeClip(temporaryDir('douyin-bounds-fixtures-'), 'vp9');
  const published = await publishWatched(api, server.realtimeUrl, author, clip.bytes, clip.filename);
  t.teardown(() => published.socket.close());
  const { ready, failed } = await outcome(published, published.listed.id, 60_000);
  t.is(failed, undefined);
  t.deepEqual((await mp4Faults(Buffer.from(await (await fetch(ready!.play_url)).arrayBuffer()), bin)).faults, []);
});
