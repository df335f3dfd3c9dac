import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** A cover is one frame of a checked video: past this, something is wrong with the file. */
const COVER_TIMEOUT_MS = 15_000;

/** Whether ffmpeg can be run, and if not, why (for the one start-up message). */
export async function ffmpegStatus(): Promise<{ available: true } | { available: false; reason: string }> {
  try {
    await run('ffmpeg', ['-hide_banner', '-version'], { timeout: 10_000 });
    return { available: true };
  } catch (error) {
    const reason = (error as { code?: string }).code === 'ENOENT' ? 'ffmpeg is not installed' : `ffmpeg does not run: ${String(error)}`;
    return { available: false, reason };
  }
}

/**
 * Writes a JPEG of a real frame of `video` (a path or a URL) to `output`: the frame at one second,
 * or the first one for shorter clips. `output` is a temporary file: the caller stores it, or removes it.
 */
export async function extractCover(video: string, output: string): Promise<void> {
  for (const offset of ['1', '0']) {
    await run('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-y', '-threads', '1', '-ss', offset, '-i', video,
      '-frames:v', '1', '-vf', "scale='min(720,iw)':-2", '-q:v', '3', '-f', 'image2', output,
    ], { timeout: COVER_TIMEOUT_MS, killSignal: 'SIGKILL' }).catch((error: unknown) => {
      throw new Error(`ffmpeg ${failureOf(error)}`);
    });
    if (await nonEmpty(output)) return;
  }
  throw new Error('ffmpeg found no video frame');
}

/**
 * Why ffmpeg failed, without its command line or any URL: a presigned URL of the video in the
 * log would let anyone reading the log fetch it.
 */
function failureOf(error: unknown): string {
  const { killed, stderr } = error as { killed?: boolean; stderr?: string };
  if (killed) return `took more than ${COVER_TIMEOUT_MS / 1000} s`;
  const reason = stderr?.trim().split('\n').at(-1)?.replace(/\bhttps?:\/\/\S+/g, '<video URL>');
  return `failed: ${reason || 'no reason given'}`;
}

/** How long each step of the check that an upload plays may take; a file that takes longer is refused. */
const CHECK_MS = 5_000;
/** The largest frame taken: 4096 × 4096 (4K phones record 3840 × 2160); decoding one costs its size in memory. */
export const MAX_FRAME_PIXELS = 4096 * 4096;

/**
 * Whether `file` plays: a video stream whose frames are at most MAX_FRAME_PIXELS, and whose first
 * frame ffmpeg decodes on one thread within CHECK_MS. A file with the right magic bytes but no
 * playable frame (a bare `ftyp` box, a cut-off MP4) does not; the reason says why.
 */
export async function checkPlayable(file: string): Promise<{ playable: true } | { playable: false; reason: string }> {
  const size = await frameSize(file);
  if (!size) return { playable: false, reason: 'it has no video stream ffmpeg can read' };
  if (size.width * size.height > MAX_FRAME_PIXELS) return { playable: false, reason: `its ${size.width}×${size.height} frames are over 4096×4096 pixels` };
  return (await decodesFirstFrame(file)) ? { playable: true } : { playable: false, reason: 'no frame of it decodes' };
}

async function frameSize(file: string): Promise<{ width: number; height: number } | undefined> {
  try {
    const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'json', file], {
      timeout: CHECK_MS, killSignal: 'SIGKILL', maxBuffer: 64 * 1024,
    });
    const stream = (JSON.parse(stdout) as { streams?: Array<{ width?: number; height?: number }> }).streams?.[0];
    return stream?.width && stream.height ? { width: stream.width, height: stream.height } : undefined;
  } catch {
    return undefined;
  }
}

async function decodesFirstFrame(file: string): Promise<boolean> {
  try {
    const { stdout } = await run('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-threads', '1', '-i', file, '-map', '0:v:0', '-frames:v', '1', '-f', 'framemd5', '-',
    ], { timeout: CHECK_MS, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 });
    return /^\d+,/m.test(stdout); // a frame's line: stream, dts, pts, duration, size, hash
  } catch {
    return false;
  }
}

async function nonEmpty(file: string): Promise<boolean> {
  return stat(file).then((info) => info.size > 0, () => false);
}
