import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import anyTest, { type TestFn } from 'ava';
import { client } from './helpers/api.js';
import { makeClip } from './helpers/clips.js';
import { temporaryDir } from './helpers/dirs.js';
import { checkHls, mp4Faults } from './helpers/playable.js';
import { finishedAfterRestart, outcome, publishWatched } from './helpers/processing.js';
import { startTestS3, type TestS3 } from './helpers/s3-server.js';
import { startServer } from './helpers/server.js';
import { startTestStore } from './helpers/store.js';
import type { RunningStore } from '../server/store/embedded.js';

interface Context {
  s3: TestS3;
  store: RunningStore;
  fixtures: string;
  env: Record<string, string>;
}
const test = anyTest.serial as TestFn<Context>;

test.before(async (t) => {
  const [s3, store] = await Promise.all([startTestS3(), startTestStore()]);
  const env = { ...s3.env, MONGO_URL: `${store.url}transcode_s3`, DATA_DIR: temporaryDir('douyin-transcode-s3-') };
  t.context = { s3, store, fixtures: temporaryDir('douyin-transcode-s3-fixtures-'), env };
});

test.after.always(async (t) => {
  await t.context.store?.stop();
  await t.context.s3?.remove();
});

async function sources(s3: TestS3): Promise<unknown[]> {
  return (await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'sources/' }))).Contents ?? [];
}

test('with media in a bucket: a rotated phone clip is processed into a faststart MP4 and HLS played from the bucket', async (t) => {
  const { s3, fixtures, env } = t.context;
  const server = await startServer(env);
  t.teardown(() => server.stop());
  const api = client(server.baseUrl);
  const author = await api.newUser('bucket');
  const clip = await makeClip(fixtures, 'rotated');
  const published = await publishWatched(api, server.realtimeUrl, author, clip.bytes, clip.filename);
  t.teardown(() => published.socket.close());
  t.like(published.listed, { state: 'processing' });

  const { ready, failed } = await outcome(published, published.listed.id);
  t.is(failed, undefined);
  t.true(ready!.play_url.startsWith(s3.endpoint), ready!.play_url);
  const played = await fetch(ready!.play_url);
  t.is(played.headers.get('content-type'), 'video/mp4');
  const { faults, probed } = await mp4Faults(Buffer.from(await played.arrayBuffer()), fixtures);
  t.deepEqual(faults, []);
  t.deepEqual([probed.video.width, probed.video.height], [360, 640]);

  // The master playlist comes from the server; the segments it names, from the bucket with their signature.
  t.true(ready!.hls_url.startsWith(server.baseUrl));
  const hls = await checkHls(ready!.hls_url, fixtures, 4.6);
  t.deepEqual(hls.faults, []);
  t.deepEqual(hls.renditions.map((rendition) => rendition.resolution), ['360x640']);
  const variant = await (await fetch(new URL('360p.m3u8', ready!.hls_url))).text();
  t.true(variant.split('\n').filter((line) => line.endsWith('.ts') || line.includes('.ts?')).every((line) => line.startsWith(s3.endpoint)), variant);
  t.deepEqual(await sources(s3), [], 'the upload is removed from the bucket once processed');
});

test('with media in a bucket: a server SIGKILLed mid-transcode, the next start finishes the job', async (t) => {
  const { s3, fixtures, env } = t.context;
  const first = await startServer(env);
  t.teardown(() => first.stop('SIGKILL'));
  const api = client(first.baseUrl);
  const author = await api.newUser('bucket_killed');
  const clip = await makeClip(fixtures, 'hevc', { seconds: 10, size: '1280x720' });
  const published = await publishWatched(api, first.realtimeUrl, author, clip.bytes, clip.filename);
  t.teardown(() => published.socket.close());
  t.is(published.listed.state, 'processing');
  await published.socket.waitFor('video:progress', 1, 60_000);
  await first.stop('SIGKILL');
  t.is((await sources(s3)).length, 1, 'the upload waits in the bucket');

  const second = await startServer(env);
  t.teardown(() => second.stop());
  await finishedAfterRestart(t, second, author, published.listed.id, fixtures);
  t.deepEqual(await sources(s3), []);
});
