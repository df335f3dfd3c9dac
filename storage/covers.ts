import { execFile } from 'node:child_process';
import { rename, rm, stat } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);
const FFMPEG_TIMEOUT_MS = 60_000;

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
 * Writes a JPEG of a real frame of `video` to `cover`: the frame at one second, or the first one for
 * shorter clips. The JPEG is written beside `cover` and renamed, so readers never see half of it.
 */
export async function extractCover(video: string, cover: string): Promise<void> {
  const partial = `${cover}.partial.jpg`;
  try {
    for (const offset of ['1', '0']) {
      await run('ffmpeg', [
        '-hide_banner', '-loglevel', 'error', '-y', '-ss', offset, '-i', video,
        '-frames:v', '1', '-vf', "scale='min(720,iw)':-2", '-q:v', '3', partial,
      ], { timeout: FFMPEG_TIMEOUT_MS });
      if (await nonEmpty(partial)) {
        await rename(partial, cover);
        return;
      }
    }
    throw new Error('ffmpeg found no video frame');
  } finally {
    await rm(partial, { force: true });
  }
}

/** How long the check that an upload plays may take; a file that takes longer is refused. */
const DECODE_CHECK_MS = 5_000;

/**
 * Whether ffmpeg decodes a first video frame of `file` within DECODE_CHECK_MS, on one thread: a
 * file with the right magic bytes but no playable frame (a bare `ftyp` box, a cut-off MP4) does not.
 */
export async function hasDecodableFrame(file: string): Promise<boolean> {
  try {
    const { stdout } = await run('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-threads', '1', '-i', file, '-map', '0:v:0', '-frames:v', '1', '-f', 'framemd5', '-',
    ], { timeout: DECODE_CHECK_MS, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 });
    return /^\d+,/m.test(stdout); // a frame's line: stream, dts, pts, duration, size, hash
  } catch {
    return false;
  }
}

async function nonEmpty(file: string): Promise<boolean> {
  return stat(file).then((info) => info.size > 0, () => false);
}
