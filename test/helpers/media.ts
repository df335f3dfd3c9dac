import { execFile } from 'node:child_process';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { onPath } from '../../server/store/files.js';
import { temporaryDir } from './dirs.js';

const run = promisify(execFile);

export async function fixtureDir(): Promise<string> {
  return temporaryDir('douyin-fixtures-');
}

/**
 * Makes a real clip of one solid colour with ffmpeg. `grain` (1-100) adds noise of that strength: a
 * much larger file of about the same mean colour.
 */
export async function makeVideo(file: string, options: { color: string; seconds?: number; size?: string; grain?: number }): Promise<string> {
  const { color, seconds = 2, size = '320x240', grain } = options;
  const codec = file.endsWith('.webm') ? ['-c:v', 'libvpx', '-b:v', '200k'] : ['-c:v', 'libx264', '-pix_fmt', 'yuv420p'];
  const source = `color=c=${color}:s=${size}:d=${seconds}:r=25${grain ? `,noise=alls=${grain}:allf=t` : ''}`;
  await run('ffmpeg', ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', source, ...codec, file]);
  return file;
}

/** Decodes an image with ffmpeg: its size and its mean colour (each channel 0-255). */
export async function decodeImage(bytes: Buffer, dir: string): Promise<{ width: number; height: number; rgb: number[] }> {
  const file = path.join(dir, `image-${Math.random().toString(36).slice(2)}`);
  await writeFile(file, bytes);
  const probe = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'json', file]);
  const { width, height } = (JSON.parse(probe.stdout) as { streams: Array<{ width: number; height: number }> }).streams[0]!;
  const pixel = await run('ffmpeg', ['-loglevel', 'error', '-i', file, '-vf', 'scale=1:1:flags=area', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], {
    encoding: 'buffer',
  });
  return { width, height, rgb: [...(pixel.stdout as Buffer)] };
}

let tiny: Promise<Buffer> | undefined;

/** A real half-second clip, made once per test process. */
export function tinyVideo(): Promise<Buffer> {
  tiny ??= fixtureDir().then(async (dir) => {
    return readFile(await makeVideo(path.join(dir, 'tiny.mp4'), { color: 'green', seconds: 0.5, size: '64x64' }));
  });
  return tiny;
}

/**
 * A directory with an `ffmpeg` that takes three seconds more for covers, as a busy server would: the
 * publish answers before its cover exists (it waits 1.5 s at most). Put it first on the server's PATH.
 */
export async function slowCoverFfmpeg(): Promise<string> {
  const ffmpeg = await onPath('ffmpeg');
  if (!ffmpeg) throw new Error('ffmpeg is not installed');
  const dir = temporaryDir('douyin-slow-ffmpeg-');
  const script = path.join(dir, 'ffmpeg');
  await writeFile(script, `#!/bin/sh\ncase "$*" in *"-f image2"*) sleep 3 ;; esac\nexec ${ffmpeg} "$@"\n`);
  await chmod(script, 0o755);
  return dir;
}
