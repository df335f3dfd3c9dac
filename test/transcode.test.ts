import { readdir } from 'node:fs/promises';
import path from 'node:path';
import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import { client, type Client } from './helpers/api.js';
import { damagedHalfWay, makeClip, type ClipKind } from './helpers/clips.js';
import { temporaryDir } from './helpers/dirs.js';
import { eventually } from './helpers/faults.js';
import { checkHls, mp4Faults, videoStreamHash } from './helpers/playable.js';
import { outcome, publishWatched } from './helpers/processing.js';
import { startServer, type ServerProcess } from './helpers/server.js';
import { startTestStore } from './helpers/store.js';
import type { RunningStore } from '../server/store/embedded.js';


interface Context {
  store: RunningStore;
  server: ServerProcess;
  api: Client;
  dataDir: string;
  fixtures: string;
  clips: Map<string, { bytes: Buffer; filename: string }>;
}
const test = anyTest.serial as TestFn<Context>;
const DB = 'transcode';
/** SEGMENT_SECONDS (4) and what an encoder's frame timing adds. */
const MAX_SEGMENT_S = 4.6;

test.before(async (t) => {
  const fixtures = temporaryDir('douyin-transcode-fixtures-');
  const dataDir = temporaryDir('douyin-transcode-');
  const store = await startTestStore();
  const server = await startServer({ MONGO_URL: `${store.url}${DB}`, DATA_DIR: dataDir });
  const clips = new Map<string, { bytes: Buffer; filename: string }>();
  for (const [kind, options] of [
    ['hevc', { size: '1280x720' }], ['vp9', {}], ['prores', {}], ['rotated', {}], ['silent', {}], ['moov-at-end', {}], ['h264', {}],
  ] as Array<[ClipKind, { size?: string }]>) {
    clips.set(kind, await makeClip(fixtures, kind, options));
  }
  t.context = { store, server, api: client(server.baseUrl), dataDir, fixtures, clips };
});

test.after.always(async (t) => {
  await t.context.server?.stop();
  await t.context.store?.stop();
});

async function feedIds(api: Client): Promise<number[]> {
  return ((await api.get('/douyin/feed/')).body.video_list as Array<{ id: number }>).map((video) => video.id);
}

/** The video plays everywhere: its MP4 and its HLS renditions, checked with ffprobe. */
async function assertPlaysEverywhere(t: ExecutionContext<Context>, video: Record<string, any>, expected: { width: number; height: number; renditions: string[] }) {
  const played = await fetch(video.play_url);
  t.is(played.headers.get('content-type'), 'video/mp4');
  const { faults, probed } = await mp4Faults(Buffer.from(await played.arrayBuffer()), t.context.fixtures);
  t.log(video.title, probed.video.width, probed.video.height, probed.duration, faults);
  t.deepEqual(faults, []);
  t.deepEqual([probed.video.width, probed.video.height], [expected.width, expected.height]);
  t.true(Math.abs(probed.duration - 3) < 0.35, `lasts ${probed.duration} s`);
  t.like(video, { state: 'ready', failure: '', width: expected.width, height: expected.height });
  t.true(Math.abs(video.duration - 3) < 0.35);
  t.regex(video.hls_url, /^http:\/\/127\.0\.0\.1:\d+\/media\/hls\/\d+\/master\.m3u8$/);
  const hls = await checkHls(video.hls_url, t.context.fixtures, MAX_SEGMENT_S);
  t.log(hls.renditions);
  t.deepEqual(hls.faults, []);
  t.deepEqual(hls.renditions.map((rendition) => rendition.resolution), expected.renditions);
  for (const { segments } of hls.renditions) t.true(Math.abs(segments.reduce((sum, s) => sum + s, 0) - 3) < 0.35, `segments ${segments}`);
}

const cases: Array<[ClipKind, string, { width: number; height: number; renditions: string[] }]> = [
  ['hevc', 'HEVC from an iPhone (1280×720)', { width: 1280, height: 720, renditions: ['640x360', '1280x720'] }],
  ['vp9', 'VP9 and Opus in WebM', { width: 640, height: 360, renditions: ['640x360'] }],
  ['prores', 'ProRes 4:2:2 10-bit and PCM in MOV', { width: 640, height: 360, renditions: ['640x360'] }],
  ['rotated', 'a phone clip stored landscape with a quarter turn to apply', { width: 360, height: 640, renditions: ['360x640'] }],
];

for (const [kind, name, expected] of cases) {
  test(`${name}: processing after the answer, out of feeds until ready, then an H.264/AAC faststart MP4 and HLS`, async (t) => {
    const { api, server, clips } = t.context;
    const [author, other] = [await api.newUser('author'), await api.newUser('other')];
    const clip = clips.get(kind)!;
    const published = await publishWatched(api, server.realtimeUrl, author, clip.bytes, clip.filename);
    t.teardown(() => published.socket.close());
    t.deepEqual(published.answer, { status_code: 0, status_msg: 'success' });
    const { id } = published.listed;
    t.like(published.listed, { state: 'processing', hls_url: '', width: expected.width, height: expected.height });
    t.false((await feedIds(api)).includes(id), 'not in the feed while processing');
    const seenByOther = (await api.get('/douyin/publish/list/', { token: other.token, user_id: author.id })).body.video_list as Array<{ id: number }>;
    t.deepEqual(seenByOther, [], 'others do not see it in the author\'s list while it is processing');

    const { ready, failed } = await outcome(published, id);
    t.is(failed, undefined);
    t.true((await feedIds(api)).includes(id), 'in the feed once ready');
    const percents = published.socket.received('video:progress').filter((event) => event.video_id === id).map((event) => event.percent);
    t.log('progress', percents);
    t.true(percents.length >= 1 && percents.every((percent, i) => percent >= 0 && percent <= 100 && (i === 0 || percent > percents[i - 1]!)), `progress rises: ${percents}`);
    const gaps = published.progressTimes.slice(1).map((time, i) => time - published.progressTimes[i]!);
    t.true(gaps.every((gap) => gap >= 900), `at most one progress a second: ${gaps}`);
    await assertPlaysEverywhere(t, ready!, expected);
  });
}

for (const [kind, name] of [['silent', 'an H.264 MP4 without sound'], ['moov-at-end', 'an H.264/AAC MP4 with its index at the end']] as const) {
  test(`${name} is remuxed while the publish waits: in the feed at once, a faststart MP4 with sound, HLS after`, async (t) => {
    const { api, server, clips } = t.context;
    const author = await api.newUser('remux');
    const clip = clips.get(kind)!;
    const published = await publishWatched(api, server.realtimeUrl, author, clip.bytes, clip.filename);
    t.teardown(() => published.socket.close());
    t.is(published.answer.status_code, 0);
    const { id } = published.listed;
    t.like(published.listed, { state: 'ready', width: 640, height: 360 });
    t.true((await feedIds(api)).includes(id), 'in the feed as soon as the publish is answered');
    const { ready } = await outcome(published, id);
    await assertPlaysEverywhere(t, ready!, { width: 640, height: 360, renditions: ['640x360'] });
  });
}

test('an MP4 that already plays everywhere keeps its video stream bit for bit (remuxed, not re-encoded)', async (t) => {
  const { api, server, clips, fixtures } = t.context;
  const author = await api.newUser('copy');
  const clip = clips.get('h264')!;
  const published = await publishWatched(api, server.realtimeUrl, author, clip.bytes, clip.filename);
  t.teardown(() => published.socket.close());
  t.is(published.listed.state, 'ready');
  t.is(await videoStreamHash(published.listed.play_url), await videoStreamHash(path.join(fixtures, clip.filename)));
  await outcome(published, published.listed.id);
});

test('a clip damaged half-way is marked failed with a clear message: never published cut short', async (t) => {
  const { api, server, clips } = t.context;
  const [author, other] = [await api.newUser('damaged'), await api.newUser('onlooker')];
  const clip = clips.get('hevc')!;
  const published = await publishWatched(api, server.realtimeUrl, author, damagedHalfWay(clip.bytes), 'damaged.mp4');
  t.teardown(() => published.socket.close());
  t.is(published.answer.status_code, 0, 'its first frames decode: accepted, then processed');
  const { ready, failed } = await outcome(published, published.listed.id);
  t.log(failed);
  t.is(ready, undefined);
  t.regex(failed!.status_msg, /^the video cannot be processed: it is damaged: only 1\.\d s of its 3\.0 s could be decoded$/);
  const own = (await api.get('/douyin/publish/list/', { token: author.token })).body.video_list[0];
  t.like(own, { id: published.listed.id, state: 'failed', failure: failed!.status_msg, hls_url: '' });
  t.false((await feedIds(api)).includes(own.id));
  t.deepEqual((await api.get('/douyin/publish/list/', { token: other.token, user_id: author.id })).body.video_list, []);
});

test('an H.264 MP4 damaged half-way is remuxed while the publish waits, then found damaged and taken out of the feed', async (t) => {
  const { api, server, clips } = t.context;
  const author = await api.newUser('damaged264');
  const published = await publishWatched(api, server.realtimeUrl, author, damagedHalfWay(clips.get('h264')!.bytes), 'damaged.mp4');
  t.teardown(() => published.socket.close());
  t.is(published.answer.status_code, 0, 'its first frames decode: accepted');
  t.is(published.listed.state, 'ready', 'remuxed, not decoded, while the publish waited');
  const { ready, failed } = await outcome(published, published.listed.id);
  t.is(ready, undefined);
  t.regex(failed!.status_msg, /^the video cannot be processed: it is damaged: only 1\.\d s of its 3\.0 s could be decoded$/);
  t.false((await feedIds(api)).includes(published.listed.id));
  const own = (await api.get('/douyin/publish/list/', { token: author.token })).body.video_list[0];
  t.like(own, { id: published.listed.id, state: 'failed', failure: failed!.status_msg });
});

test('nothing of an upload is left once it is processed or has failed: no source, no spooled file', async (t) => {
  const { dataDir } = t.context;
  const media = path.join(dataDir, 'media');
  const left = async () => {
    const spooled = await readdir(path.join(media, '.tmp'), { recursive: true, withFileTypes: true });
    return [...(await readdir(path.join(media, 'sources'))), ...spooled.filter((entry) => entry.isFile()).map((entry) => entry.name)];
  };
  // A failed job's source is removed just after its author is told.
  await eventually(async () => (await left()).length === 0, 5_000);
  t.deepEqual(await left(), []);
});
