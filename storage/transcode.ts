import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { FfmpegFailure, runFfmpeg } from './ffmpeg-run.js';
import { hlsKey, type MediaStorage } from './media-storage.js';
import { longestKeyframeGap, probe, type MediaInfo } from './probe.js';
import { copiesIntoHls, hlsArguments, mp4Arguments, outputSize, renditions, videoCopies } from './transcode-plan.js';

/** The share of a video that may be lost to decoding errors (a glitch) before it counts as damaged. */
const DECODED_SHORTFALL = 0.1;

/** What is kept of a processed video: its duration (s) and size, as played. */
export interface VideoMeta {
  duration: number;
  width: number;
  height: number;
}

interface Step {
  /** The share of the step done, 0 to 1. */
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
  /** false when a request waits for the step (ffmpeg-run.ts). */
  niced?: boolean;
}

/** Thrown when a video decodes only in part: a file damaged part-way, never to be published cut short. */
export class DamagedVideo extends FfmpegFailure {
  constructor(decoded: number, duration: number) {
    super('input', `it is damaged: only ${decoded.toFixed(1)} s of its ${duration.toFixed(1)} s could be decoded`);
  }
}

/**
 * Makes the MP4 that plays everywhere (transcode-plan.ts) from the local file `input`, described by
 * `info`, into a fresh local file; returns its path (the caller stores or removes it) and what it holds.
 */
export async function normalize(media: MediaStorage, input: string, info: MediaInfo, step: Step & { checkCopy?: boolean } = {}): Promise<{ file: string; meta: VideoMeta }> {
  const file = media.tempFile('.mp4');
  try {
    const { width, height } = outputSize(info);
    const pixels = Math.max(info.video.width * info.video.height, width * height);
    const { checkCopy = true, ...run } = step;
    await runFfmpeg({ args: mp4Arguments(info, input, file), duration: info.duration, pixels, ...run, names: { [input]: 'the video', [file]: 'the output' } });
    if (videoCopies(info)) {
      // A copied video keeps whatever damage the upload's has: decoded once, to see that all of it plays.
      if (checkCopy) await assertDecodesWhole(file, info, run);
      return { file, meta: { duration: info.duration, width: info.video.width, height: info.video.height } };
    }
    const made = await probe(file);
    if (!made) throw new Error('ffmpeg made no readable video');
    // ffmpeg skips what it cannot decode: a file damaged part-way would be published cut short.
    assertWhole(made.video.duration || made.duration, info.duration);
    return { file, meta: { duration: made.duration, width: made.video.width, height: made.video.height } };
  } catch (error) {
    await rm(file, { force: true });
    throw error;
  }
}

/** Refuses a video of which more than a glitch could not be decoded. */
function assertWhole(decoded: number, duration: number): void {
  if (duration - decoded > Math.max(0.5, duration * DECODED_SHORTFALL)) throw new DamagedVideo(decoded, duration);
}

/** Decodes the video of `file` (ffmpeg skips frames it cannot decode and reports how far it got) and refuses it if damaged. */
async function assertDecodesWhole(file: string, info: MediaInfo, step: Step): Promise<void> {
  let fraction = 0;
  await runFfmpeg({
    args: ['-i', file, '-map', '0:v:0', '-f', 'null', '-'],
    duration: info.duration,
    pixels: info.video.width * info.video.height,
    signal: step.signal,
    niced: step.niced,
    onProgress: (done) => (fraction = Math.max(fraction, done)),
    names: { [file]: 'the video' },
  });
  assertWhole(fraction * info.duration, info.duration);
}

/**
 * Makes the HLS renditions of the stored MP4 `videoKey` of video `videoId` and stores them under
 * `hls/<id>/`, the master playlist last: once it exists, everything it names does. A retry writes the
 * same keys again.
 */
export async function storeHls(media: MediaStorage, videoId: number, videoKey: string, step: Step & { checkWhole?: boolean } = {}): Promise<void> {
  const { checkWhole = false, ...run } = step;
  const source = await media.localCopy(videoKey);
  const dir = media.tempFile('-hls');
  try {
    const info = await probe(source.file);
    if (!info) throw new Error('the stored MP4 cannot be read');
    if (checkWhole) await assertDecodesWhole(source.file, info, run);
    const ladder = renditions({ width: info.video.width, height: info.video.height });
    const top = ladder.at(-1)!;
    // The top rendition at the MP4's own size is its video, copied, when its keyframes allow (those of MP4s encoded here do).
    const copyTop = top.width === info.video.width && top.height === info.video.height && copiesIntoHls(await longestKeyframeGap(source.file, info.duration));
    await mkdir(dir);
    const pixels = info.video.width * info.video.height * ladder.length;
    await runFfmpeg({ args: hlsArguments(source.file, ladder, dir, copyTop), duration: info.duration, pixels, ...run, names: { [source.file]: 'the video', [dir]: 'the output' } });
    const files = (await readdir(dir)).sort((a, b) => Number(a === 'master.m3u8') - Number(b === 'master.m3u8') || Number(a.endsWith('.m3u8')) - Number(b.endsWith('.m3u8')));
    for (const name of files) {
      step.signal?.throwIfAborted();
      await media.importFile(path.join(dir, name), hlsKey(videoId, name), step.signal);
    }
  } finally {
    await source.release();
    await rm(dir, { recursive: true, force: true });
  }
}
