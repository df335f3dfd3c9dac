import { displayedSize, type MediaInfo } from './probe.js';

/** The largest video kept: 1920 × 1080 (or 1080 × 1920 upright), 60 frames a second. */
const MAX_LONG_SIDE = 1920;
const MAX_SHORT_SIDE = 1080;
const MAX_FPS = 60;
/** Keyframes every this many seconds: HLS segments (SEGMENT_SECONDS) are cut on them. */
const KEYFRAME_SECONDS = 2;
const SEGMENT_SECONDS = 4;
/** HLS renditions by their short side; a source smaller than the top one gets one at its own size instead. */
const LADDER = [360, 720];
const KEYFRAME_TIMES = `expr:gte(t,n_forced*${KEYFRAME_SECONDS})`;
const KEYFRAMES = ['-force_key_frames', KEYFRAME_TIMES, '-sc_threshold', '0'];
/** Whatever a file carries besides its streams (a phone's GPS position among it) is not republished. */
const NO_METADATA = ['-map_metadata', '-1', '-map_chapters', '-1'];

export interface Size {
  width: number;
  height: number;
}

/**
 * Whether `info` plays everywhere as it is once in an MP4 with its index first: H.264 in 4:2:0, no
 * rotation to apply, even sides, within the size and frame-rate caps. Its video is then copied.
 */
export function videoCopies(info: MediaInfo): boolean {
  const { codec, pixelFormat, width, height, rotation, fps } = info.video;
  return codec === 'h264' && pixelFormat === 'yuv420p' && rotation === 0 && width % 2 === 0 && height % 2 === 0 &&
    withinCaps({ width, height }) && fps <= MAX_FPS + 0.01;
}

function withinCaps({ width, height }: Size): boolean {
  return Math.max(width, height) <= MAX_LONG_SIDE && Math.min(width, height) <= MAX_SHORT_SIDE;
}

/** The size a video is encoded at: the displayed size within the caps, aspect kept, both sides even. */
export function outputSize(info: MediaInfo): Size {
  return fitted(displayedSize(info), MAX_LONG_SIDE, MAX_SHORT_SIDE);
}

function fitted({ width, height }: Size, long: number, short: number): Size {
  const scale = Math.min(1, long / Math.max(width, height), short / Math.min(width, height));
  // A scaled side takes the nearest even number (within the box, whose sides are even); one kept loses its odd pixel.
  const side = (length: number) => (scale < 1 ? Math.max(2, Math.round((length * scale) / 2) * 2) : even(length));
  return { width: side(width), height: side(height) };
}

const even = (side: number) => Math.max(2, Math.floor(side / 2) * 2);

/**
 * ffmpeg's arguments making `output`, an MP4 that plays everywhere, from `input`: H.264 4:2:0 and AAC
 * with the index at the front. Video is copied when it can be (videoCopies), else encoded with the
 * rotation applied (ffmpeg turns decoded frames itself, and an encoded stream carries no rotation),
 * the size made even and capped, the frame rate capped; audio is copied when it is AAC, encoded
 * otherwise, and a silent track is added to a video without one.
 */
export function mp4Arguments(info: MediaInfo, input: string, output: string): string[] {
  const args = ['-i', input];
  if (!info.audio) args.push('-f', 'lavfi', '-i', 'anullsrc=channel_layout=stereo:sample_rate=48000');
  args.push('-map', '0:v:0', '-map', info.audio ? '0:a:0' : '1:a:0', ...NO_METADATA);
  if (videoCopies(info)) {
    args.push('-c:v', 'copy');
  } else {
    const { width, height } = outputSize(info);
    const filters = [`scale=${width}:${height}`, 'format=yuv420p'];
    if (info.video.fps > MAX_FPS + 0.01) filters.push(`fps=${MAX_FPS}`);
    args.push('-vf', filters.join(','), '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-profile:v', 'high', ...KEYFRAMES);
  }
  args.push(...(info.audio?.codec === 'aac' ? ['-c:a', 'copy'] : ['-c:a', 'aac', '-b:a', '128k', '-ac', '2']));
  // A silent track ends with the video.
  if (!info.audio) args.push('-shortest');
  args.push('-movflags', '+faststart', '-f', 'mp4', output);
  return args;
}

interface Rendition extends Size {
  /** `360p`: the short side, also the name of its playlist and segments. */
  name: string;
  /** Video bits a second. */
  bitrate: number;
}

/**
 * The HLS renditions of a video of `size`: one fitted in each box of the ladder (640 × 360, 1280 × 720,
 * or upright), up to the first that holds the whole video, which keeps its size: fewer and smaller
 * renditions for smaller videos.
 */
export function renditions(size: Size): Rendition[] {
  const ladder: Rendition[] = [];
  for (const rung of LADDER) {
    const fit = fitted(size, Math.round((rung * 16) / 9), rung);
    // About 800 kbit/s at 640 × 360, growing more slowly than the pixel count.
    const bitrate = Math.round((800_000 * ((fit.width * fit.height) / (640 * 360)) ** 0.75) / 1000) * 1000;
    ladder.push({ ...fit, name: `${Math.min(fit.width, fit.height)}p`, bitrate });
    if (fit.width >= even(size.width) && fit.height >= even(size.height)) break;
  }
  return ladder;
}

/** Whether the video of an MP4 (one of mp4Arguments) may be copied as is into its top HLS rendition. */
export function copiesIntoHls(longestKeyframeGap: number): boolean {
  return longestKeyframeGap <= KEYFRAME_SECONDS + 0.05;
}

/**
 * ffmpeg's arguments making the HLS renditions of `input` (the MP4 of mp4Arguments) in `dir`:
 * `<name>.m3u8` with segments `<name>_000.ts` of about SEGMENT_SECONDS each, and `master.m3u8`.
 * `copyTop`: the top rendition is the MP4's own video, copied (it has the MP4's size, and keyframes
 * every KEYFRAME_SECONDS to cut segments on: copiesIntoHls).
 */
export function hlsArguments(input: string, ladder: readonly Rendition[], dir: string, copyTop = false): string[] {
  const encoded = copyTop ? ladder.slice(0, -1) : ladder;
  const split = `[0:v]split=${encoded.length}${encoded.map((_, i) => `[in${i}]`).join('')}`;
  const scaled = encoded.map((rung, i) => `[in${i}]scale=${rung.width}:${rung.height}[out${i}]`);
  const args = ['-i', input];
  if (encoded.length > 0) args.push('-filter_complex', [split, ...scaled].join(';'));
  encoded.forEach((rung, i) => {
    const stream = `v:${i}`;
    args.push(
      '-map', `[out${i}]`, '-map', '0:a:0', `-c:${stream}`, 'libx264', `-preset:${stream}`, 'veryfast', `-profile:${stream}`, 'high', `-pix_fmt:${stream}`, 'yuv420p',
      `-force_key_frames:${stream}`, KEYFRAME_TIMES, `-sc_threshold:${stream}`, '0',
      `-b:${stream}`, String(rung.bitrate), `-maxrate:${stream}`, String(Math.round(rung.bitrate * 1.1)), `-bufsize:${stream}`, String(rung.bitrate * 2),
    );
  });
  if (copyTop) args.push('-map', '0:v:0', '-map', '0:a:0', `-c:v:${encoded.length}`, 'copy');
  args.push(
    '-c:a', 'copy', ...NO_METADATA,
    '-f', 'hls', '-hls_time', String(SEGMENT_SECONDS), '-hls_playlist_type', 'vod', '-hls_flags', 'independent_segments',
    '-hls_segment_filename', `${dir}/%v_%03d.ts`, '-master_pl_name', 'master.m3u8',
    '-var_stream_map', ladder.map((rung, i) => `v:${i},a:${i},name:${rung.name}`).join(' '),
    `${dir}/%v.m3u8`,
  );
  return args;
}
