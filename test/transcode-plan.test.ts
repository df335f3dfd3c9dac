import test from 'ava';
import type { MediaInfo } from '../storage/probe.js';
import { copiesIntoHls, hlsArguments, mp4Arguments, outputSize, renditions, videoCopies } from '../storage/transcode-plan.js';

/** What ffprobe would report of a video; an H.264 4:2:0 1280×720 30 fps MP4 with AAC unless told. */
function info(video: Partial<MediaInfo['video']> = {}, audio: MediaInfo['audio'] | null = { codec: 'aac' }): MediaInfo {
  return {
    container: 'mov,mp4,m4a,3gp,3g2,mj2',
    duration: 10,
    video: { codec: 'h264', pixelFormat: 'yuv420p', width: 1280, height: 720, rotation: 0, fps: 30, duration: 10, ...video },
    audio: audio ?? undefined,
  };
}

test('only H.264 4:2:0 within the caps, unrotated, with even sides, is copied', (t) => {
  t.true(videoCopies(info()));
  t.true(videoCopies(info({ width: 1080, height: 1920, fps: 60 })), 'upright 1080p at 60 fps');
  for (const [why, video] of [
    ['HEVC', { codec: 'hevc' }], ['10-bit', { pixelFormat: 'yuv420p10le' }], ['4:2:2', { pixelFormat: 'yuv422p' }], ['rotated', { rotation: 90 }],
    ['odd width', { width: 1279 }], ['4K', { width: 3840, height: 2160 }], ['120 fps', { fps: 120 }],
  ] as Array<[string, Partial<MediaInfo['video']>]>) {
    t.false(videoCopies(info(video)), why);
  }
});

test('the output fits 1920×1080 (either way up), keeps its aspect and has even sides; a rotation swaps the sides', (t) => {
  t.deepEqual(outputSize(info({ width: 3840, height: 2160 })), { width: 1920, height: 1080 });
  t.deepEqual(outputSize(info({ width: 2160, height: 3840 })), { width: 1080, height: 1920 });
  t.deepEqual(outputSize(info({ width: 3840, height: 2160, rotation: 90 })), { width: 1080, height: 1920 });
  t.deepEqual(outputSize(info({ width: 641, height: 361 })), { width: 640, height: 360 });
  t.deepEqual(outputSize(info({ width: 4096, height: 1716 })), { width: 1920, height: 804 }, 'cinema scope: the long side caps');
});

test('encoding caps the frame rate, adds a silent track to a video without one, and copies what plays', (t) => {
  const fast = mp4Arguments(info({ codec: 'hevc', fps: 120 }), 'in', 'out').join(' ');
  t.regex(fast, /-vf scale=1280:720,format=yuv420p,fps=60 .*-c:v libx264/);
  t.regex(fast, /-c:a copy/);
  const silent = mp4Arguments(info({}, null), 'in', 'out').join(' ');
  t.regex(silent, /-f lavfi -i anullsrc=.* -map 0:v:0 -map 1:a:0 .*-c:v copy -c:a aac .*-shortest -movflags \+faststart -f mp4 out$/);
  t.regex(mp4Arguments(info({}, { codec: 'opus' }), 'in', 'out').join(' '), /-c:v copy -c:a aac/);
});

test('HLS renditions: 360p and 720p for large videos, one at its own size for small ones', (t) => {
  const sizes = (width: number, height: number) => renditions({ width, height }).map((rung) => `${rung.name} ${rung.width}x${rung.height}`);
  t.deepEqual(sizes(1920, 1080), ['360p 640x360', '720p 1280x720']);
  t.deepEqual(sizes(1080, 1920), ['360p 360x640', '720p 720x1280']);
  t.deepEqual(sizes(1280, 720), ['360p 640x360', '720p 1280x720']);
  t.deepEqual(sizes(854, 480), ['360p 640x360', '480p 854x480']);
  t.deepEqual(sizes(640, 360), ['360p 640x360']);
  t.deepEqual(sizes(320, 240), ['240p 320x240']);
  t.deepEqual(sizes(1280, 536), ['268p 640x268', '536p 1280x536']);
  const [low, high] = renditions({ width: 1920, height: 1080 });
  t.true(low!.bitrate > 600_000 && low!.bitrate < 1_000_000 && high!.bitrate > 2 * low!.bitrate, `${low!.bitrate} and ${high!.bitrate}`);
});

test('HLS: every rendition encoded from the MP4, or the top one copied from it when its keyframes come every 2 s', (t) => {
  const ladder = renditions({ width: 1280, height: 720 });
  const encoded = hlsArguments('in.mp4', ladder, 'dir').join(' ');
  t.regex(encoded, /split=2\[in0\]\[in1\]/);
  t.regex(encoded, /-c:v:1 libx264 .*-var_stream_map v:0,a:0,name:360p v:1,a:1,name:720p dir\/%v\.m3u8$/);
  const copied = hlsArguments('in.mp4', ladder, 'dir', true).join(' ');
  t.regex(copied, /split=1\[in0\];\[in0\]scale=640:360\[out0\]/);
  t.regex(copied, /-map 0:v:0 -map 0:a:0 -c:v:1 copy /);
  t.notRegex(copied, /-c:v:1 libx264/);
  t.true(copiesIntoHls(2) && copiesIntoHls(1.5));
  t.false(copiesIntoHls(8.3), 'an encoder\'s default GOP of 250 frames');
});
