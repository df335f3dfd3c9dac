import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import test from 'ava';
import { client } from './helpers/api.js';
import { makeClip } from './helpers/clips.js';
import { temporaryDir } from './helpers/dirs.js';
import { checkHls, mp4Faults } from './helpers/playable.js';
import { outcome, publishWatched } from './helpers/processing.js';
import { startTestS3 } from './helpers/s3-server.js';
import { startServer } from './helpers/server.js';
import { startTestStore } from './helpers/store.js';

test('with media in a bucket: a rotated phone clip is processed into a faststart MP4 and HLS played from the bucket', async (t) => {
  const fixtures = temporaryDir('douyin-transcode-s3-fixtures-');
  const [s3, store] = await Promise.all([startTestS3(), startTestStore()]);
  t.teardown(async () => {
    await store.stop();
    await s3.remove();
  });
  const server = await startServer({ ...s3.env, MONGO_URL: `${store.url}transcode_s3`, DATA_DIR: temporaryDir('douyin-transcode-s3-') });
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

  const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'sources/' }));
  t.deepEqual(listed.Contents ?? [], [], 'the upload is removed from the bucket once processed');
});
