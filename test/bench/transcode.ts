/**
 * Publish → ready latency and transcoding throughput for a 10 s 720p clip, and what a running
 * transcode does to REST latency, on this machine.
 *   npm run bench:transcode -- [--runs 3] [--seconds 10] [--connections 8] [--rate 200]
 * Each run publishes the clip as HEVC (re-encoded: MP4, then HLS) and as H.264 (remuxed while the
 * publish waits, then HLS), timing the answer, the video joining the feed, and video:ready. REST is
 * measured on the anonymous feed and a user's info at a fixed rate (autocannon, `--connections`
 * connections, `--rate` requests/s in all) with the server idle and again while a HEVC clip transcodes.
 */
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { client } from '../helpers/api.js';
import { makeClip, type ClipKind } from '../helpers/clips.js';
import { temporaryDir } from '../helpers/dirs.js';
import { outcome, publishWatched } from '../helpers/processing.js';
import { startServer } from '../helpers/server.js';
import { startTestStore } from '../helpers/store.js';
import { median } from './fixtures.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '8' },
    rate: { type: 'string', default: '200' },
  },
});
const runs = Number(values.runs);
const clipSeconds = Number(values.seconds);
const connections = Number(values.connections);
const rate = Number(values.rate);

const fixtures = temporaryDir('douyin-bench-transcode-');
const store = await startTestStore();
const server = await startServer({ MONGO_URL: `${store.url}bench-transcode` }, { outputToFile: true });
const api = client(server.baseUrl);
const author = await api.newUser('bench');
const clips = new Map<ClipKind, Awaited<ReturnType<typeof makeClip>>>();
for (const kind of ['hevc', 'h264'] as const) clips.set(kind, await makeClip(fixtures, kind, { seconds: clipSeconds, size: '1280x720' }));
console.log(`clip: ${clipSeconds} s of 1280×720 at 30 fps, a moving test pattern with a tone (HEVC ${kb(clips.get('hevc')!.bytes.length)}, H.264 ${kb(clips.get('h264')!.bytes.length)})`);

interface Timing {
  answerMs: number;
  inFeedMs: number;
  readyMs: number;
}

/** Publishes `kind` and times the answer, the video joining the feed, and video:ready. */
async function publishTimed(kind: ClipKind, title: string): Promise<Timing & { finished: Promise<Timing> }> {
  const clip = clips.get(kind)!;
  const started = performance.now();
  const published = await publishWatched(api, server.realtimeUrl, author, clip.bytes, clip.filename, title);
  const answerMs = performance.now() - started;
  if (published.answer.status_code !== 0) throw new Error(`publish refused: ${JSON.stringify(published.answer)}`);
  const id = published.listed.id;
  let inFeedMs = published.listed.state === 'ready' ? answerMs : Number.NaN;
  const finished = (async () => {
    const watching = setInterval(() => {
      if (!Number.isNaN(inFeedMs)) return;
      void api.get('/douyin/feed/').then(({ body }) => {
        if (Number.isNaN(inFeedMs) && body.video_list.some((video: { id: number }) => video.id === id)) inFeedMs = performance.now() - started;
      });
    }, 100);
    const { failed } = await outcome(published, id, 600_000);
    clearInterval(watching);
    published.socket.close();
    if (failed) throw new Error(`${kind} failed: ${failed.status_msg}`);
    return { answerMs, inFeedMs, readyMs: performance.now() - started };
  })();
  return { answerMs, inFeedMs, readyMs: Number.NaN, finished };
}

async function restP99(seconds: number): Promise<{ p50: number; p99: number; requests: number }> {
  const result = await autocannon({
    connections,
    overallRate: rate,
    duration: seconds,
    requests: [
      { method: 'GET', path: '/douyin/feed/' },
      { method: 'GET', path: `/douyin/user/?token=${author.token}&user_id=${author.id}` },
    ],
    url: server.baseUrl,
  });
  if (result.non2xx > 0 || result.errors > 0) console.warn(`REST: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { p50: result.latency.p50, p99: result.latency.p99, requests: result.requests.total };
}

const timings = new Map<ClipKind, Timing[]>([['hevc', []], ['h264', []]]);
const idle: number[] = [];
const busy: number[] = [];
for (let run = 1; run <= runs; run += 1) {
  for (const kind of ['hevc', 'h264'] as const) {
    const timing = await (await publishTimed(kind, `${kind} run ${run}`)).finished;
    timings.get(kind)!.push(timing);
    console.log(`run ${run} ${kind}: answered ${ms(timing.answerMs)}, in the feed ${ms(timing.inFeedMs)}, video:ready ${ms(timing.readyMs)}`);
  }
  const quiet = await restP99(clipSeconds);
  idle.push(quiet.p99);
  // The same load while a HEVC clip transcodes (it takes longer than the load runs).
  const transcoding = await publishTimed('hevc', `load run ${run}`);
  const loaded = await restP99(clipSeconds);
  busy.push(loaded.p99);
  await transcoding.finished;
  console.log(`run ${run} REST (${rate} req/s, feed and user info): idle p50 ${quiet.p50} ms p99 ${quiet.p99} ms; while transcoding p50 ${loaded.p50} ms p99 ${loaded.p99} ms`);
}

console.log(`\nmedians of ${runs} runs, ${clipSeconds} s 1280×720 clip:`);
for (const [kind, list] of timings) {
  const ready = median(list.map((timing) => timing.readyMs));
  console.log(`  ${kind === 'hevc' ? 'HEVC (re-encoded)' : 'H.264 (remuxed)  '}: publish answered ${ms(median(list.map((t) => t.answerMs)))}, in the feed ${ms(median(list.map((t) => t.inFeedMs)))}, ready with HLS ${ms(ready)}: ${(clipSeconds / (ready / 1000)).toFixed(2)} s of video per second`);
}
console.log(`  REST p99 at ${rate} req/s: idle ${median(idle)} ms, while transcoding ${median(busy)} ms`);

await server.stop();
await store.stop();

function ms(value: number): string {
  return Number.isNaN(value) ? '—' : `${(value / 1000).toFixed(2)} s`;
}

function kb(bytes: number): string {
  return `${Math.round(bytes / 1024)} KiB`;
}
