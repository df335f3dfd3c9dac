import { existsSync } from 'node:fs';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { paginateListObjectsV2, PutObjectCommand } from '@aws-sdk/client-s3';
import anyTest, { type TestFn } from 'ava';
import pLimit from 'p-limit';
import { client } from './helpers/api.js';
import { removeDataDir, temporaryDir } from './helpers/dirs.js';
import { eventually, sleep } from './helpers/faults.js';
import { tinyVideo } from './helpers/media.js';
import { startTestS3, type TestS3 } from './helpers/s3-server.js';
import { startServer } from './helpers/server.js';
import { startTestStore } from './helpers/store.js';
import type { RunningStore } from '../server/store/embedded.js';

/**
 * Issue 21, item 7: a publish refused with 50003 while the bucket was frozen left its object
 * videos/<id>.mp4 without a record once the bucket woke. Videos and covers without a video record,
 * older than ORPHAN_MEDIA_AGE_S (an hour), are now swept, in a bucket and on local disk, paging
 * through the storage; what has a record, and what is younger, stays.
 */
interface Context {
  store: RunningStore;
}
const test = anyTest.serial as TestFn<Context>;

/** ORPHAN_MEDIA_AGE_S in the bucket's test: a bucket's objects cannot be made to look older than they are. */
const AGE_S = 6;

test.before(async (t) => {
  t.context = { store: await startTestStore() };
});

test.after.always(async (t) => {
  await t.context.store?.stop();
});

/** The media keys in the bucket (the helper keeps an object of its own there). */
async function bucketKeys(s3: TestS3): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of paginateListObjectsV2({ client: s3.client }, { Bucket: s3.bucket })) keys.push(...(page.Contents ?? []).map((object) => object.Key!));
  return keys.filter((key) => /^(videos|covers)\//.test(key)).sort();
}

test('in a bucket: more than a listing page of covers without a record go in one sweep, and the object a publish refused while the bucket was frozen left behind is swept; nothing recorded is', async (t) => {
  const s3 = await startTestS3();
  t.teardown(() => s3.remove());
  // More than a listing page (100) of covers without a video, older than ORPHAN_MEDIA_AGE_S when the server starts.
  const put = pLimit(16);
  await Promise.all(Array.from({ length: 150 }, (_, i) => put(() => s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `covers/${900_000_000 + i}.jpg`, Body: 'x' })))));
  await sleep(AGE_S * 1000);

  const dataDir = temporaryDir('douyin-orphans-s3-');
  t.teardown(() => removeDataDir(dataDir));
  const server = await startServer({ ...s3.env, MONGO_URL: `${t.context.store.url}orphans_s3`, DATA_DIR: dataDir, ORPHAN_MEDIA_AGE_S: String(AGE_S), LOG_LEVEL: 'info' });
  t.teardown(() => server.stop());
  const swept = (count: number) => server.output.some((line) => line.includes(`removed ${count} media objects without a video record, older than ${AGE_S} s`));
  t.true(await eventually(() => swept(150), 20_000), 'the first sweep went through both pages');
  t.deepEqual(await bucketKeys(s3), []);

  const api = client(server.baseUrl);
  const author = await api.newUser('author');
  const clip = await tinyVideo();
  const kept = await api.publish(author.token, 'kept', clip);
  const keptKeys = [`covers/${kept}.jpg`, `videos/${kept}.mp4`];
  t.true(await eventually(async () => (await bucketKeys(s3)).includes(keptKeys[0]!), 20_000), 'the published video gets its cover');

  s3.pause();
  const refused = await api.upload('/douyin/publish/action/', { token: author.token, title: 'refused' }, { bytes: clip }).finally(() => s3.resume());
  t.is(refused.body.status_code, 50003);
  const strays = async () => (await bucketKeys(s3)).filter((key) => !keptKeys.includes(key));
  t.true(await eventually(async () => (await strays()).some((key) => key.startsWith('videos/')), 5_000), 'the refused publish left its object once the bucket woke');
  t.true(await eventually(async () => (await strays()).length === 0, 3 * AGE_S * 1000), `swept: ${(await strays()).join(', ')}`);
  t.deepEqual(await bucketKeys(s3), keptKeys, 'what has a record stays');
  t.is((await fetch(`${server.baseUrl}/media/videos/${kept}.mp4`)).status, 200, 'and plays');
});

test('on local disk: a video, covers, an upload and HLS renditions without a record older than an hour are swept at start; younger ones and recorded ones stay', async (t) => {
  const dataDir = temporaryDir('douyin-orphans-local-');
  t.teardown(() => removeDataDir(dataDir));
  const env = { MONGO_URL: `${t.context.store.url}orphans_local`, DATA_DIR: dataDir, LOG_LEVEL: 'info' };
  const first = await startServer(env);
  t.teardown(() => first.stop());
  const api = client(first.baseUrl);
  const author = await api.newUser('author');
  const kept = await api.publish(author.token, 'kept', await tinyVideo());
  const media = path.join(dataDir, 'media');
  const file = (key: string) => path.join(media, key);
  t.true(await eventually(() => existsSync(file(`covers/${kept}.jpg`)), 20_000), 'the published video gets its cover');
  await first.stop();

  // As a process killed between storing a video and writing its record leaves them, two hours ago.
  const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
  const old = ['videos/900000001.mp4', 'covers/900000001.jpg', 'covers/900000002.jpg', 'sources/900000004.webm', 'hls/900000001/master.m3u8', 'hls/900000001/360p_000.ts'];
  const young = 'videos/900000003.mp4';
  await mkdir(file('hls/900000001'), { recursive: true });
  for (const key of [...old, young]) await writeFile(file(key), 'x');
  for (const key of [...old, `videos/${kept}.mp4`, `covers/${kept}.jpg`]) await utimes(file(key), twoHoursAgo, twoHoursAgo);

  const second = await startServer(env);
  t.teardown(() => second.stop());
  t.true(await eventually(() => old.every((key) => !existsSync(file(key))), 10_000), 'the old ones without a record are gone');
  await sleep(500);
  t.true(existsSync(file(young)), 'one younger than an hour stays: its record may be on its way');
  t.true(existsSync(file(`videos/${kept}.mp4`)) && existsSync(file(`covers/${kept}.jpg`)), 'what has a record stays, however old');
  t.true(second.output.some((line) => line.includes('removed 6 media objects without a video record, older than 1 h')), second.output.join('\n'));
  t.is((await fetch(`${second.baseUrl}/media/videos/${kept}.mp4`)).status, 200);
});
