import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { boxes } from './clips.js';

const run = promisify(execFile);

export interface Probed {
  video: { codec_name: string; pix_fmt: string; width: number; height: number; side_data_list?: Array<{ side_data_type: string }>; tags?: Record<string, string> };
  audio?: { codec_name: string };
  duration: number;
}

/** What ffprobe reads of a media file. */
export async function probeFile(file: string): Promise<Probed> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', file]);
  const parsed = JSON.parse(stdout) as { format: { duration?: string }; streams: Array<Record<string, any>> };
  return {
    video: parsed.streams.find((stream) => stream.codec_type === 'video') as Probed['video'],
    audio: parsed.streams.find((stream) => stream.codec_type === 'audio') as Probed['audio'],
    duration: Number(parsed.format.duration),
  };
}

/** The MD5 of a file's video stream as stored: equal for a remux, different for any re-encode. */
export async function videoStreamHash(input: string): Promise<string> {
  return (await run('ffmpeg', ['-loglevel', 'error', '-i', input, '-map', '0:v', '-c', 'copy', '-f', 'md5', '-'])).stdout.trim();
}

/** What an MP4 that plays everywhere must be, as a list of what it is not (empty when it is). */
export async function mp4Faults(bytes: Buffer, dir: string): Promise<{ faults: string[]; probed: Probed }> {
  const file = path.join(dir, `played-${Math.random().toString(36).slice(2)}.mp4`);
  await writeFile(file, bytes);
  const probed = await probeFile(file);
  const faults: string[] = [];
  if (probed.video?.codec_name !== 'h264') faults.push(`video is ${probed.video?.codec_name}`);
  if (probed.video?.pix_fmt !== 'yuv420p') faults.push(`pixels are ${probed.video?.pix_fmt}`);
  if (probed.video && (probed.video.width % 2 || probed.video.height % 2)) faults.push(`odd size ${probed.video.width}×${probed.video.height}`);
  if (probed.video?.side_data_list?.some((data) => data.side_data_type === 'Display Matrix') || probed.video?.tags?.rotate) faults.push('it carries a rotation');
  if (probed.audio?.codec_name !== 'aac') faults.push(`audio is ${probed.audio?.codec_name ?? 'missing'}`);
  const order = boxes(bytes).map((box) => box.type);
  if (!(order.indexOf('moov') >= 0 && order.indexOf('moov') < order.indexOf('mdat'))) faults.push(`boxes in the order ${order.join(',')}: the index is not first`);
  return { faults, probed };
}

export interface HlsCheck {
  /** Each rendition: its size and its segments' durations. */
  renditions: Array<{ resolution: string; segments: number[] }>;
  faults: string[];
}

/**
 * Reads an HLS master playlist and every rendition it names, checks their content types, that each
 * ends (VOD), that segments last at most `maxSegment` seconds, and that the first segment of each is
 * MPEG-TS holding H.264 and AAC.
 */
export async function checkHls(masterUrl: string, dir: string, maxSegment: number): Promise<HlsCheck> {
  const faults: string[] = [];
  const master = await fetch(masterUrl);
  if (master.headers.get('content-type') !== 'application/vnd.apple.mpegurl') faults.push(`master served as ${master.headers.get('content-type')}`);
  const lines = (await master.text()).split('\n').map((line) => line.trim());
  const renditions: HlsCheck['renditions'] = [];
  for (let i = 0; i < lines.length; i += 1) {
    if (!lines[i]!.startsWith('#EXT-X-STREAM-INF:')) continue;
    const resolution = /RESOLUTION=(\d+x\d+)/.exec(lines[i]!)?.[1] ?? '?';
    if (!/BANDWIDTH=\d+/.test(lines[i]!)) faults.push(`${resolution}: no BANDWIDTH`);
    const variantUrl = new URL(lines[i + 1]!, masterUrl).href;
    const variant = await fetch(variantUrl);
    if (variant.headers.get('content-type') !== 'application/vnd.apple.mpegurl') faults.push(`${resolution} playlist served as ${variant.headers.get('content-type')}`);
    const text = await variant.text();
    if (!text.includes('#EXT-X-ENDLIST')) faults.push(`${resolution}: no #EXT-X-ENDLIST`);
    const segments = [...text.matchAll(/#EXTINF:([\d.]+),\s*\n(\S+)/g)];
    const durations = segments.map((match) => Number(match[1]));
    if (durations.some((duration) => duration > maxSegment)) faults.push(`${resolution}: segments of ${durations.join(', ')} s`);
    renditions.push({ resolution, segments: durations });
    if (segments.length === 0) {
      faults.push(`${resolution}: no segments`);
      continue;
    }
    const segment = await fetch(new URL(segments[0]![2]!, variantUrl));
    if (segment.status !== 200 || segment.headers.get('content-type') !== 'video/mp2t') faults.push(`${resolution} segment: ${segment.status} ${segment.headers.get('content-type')}`);
    const file = path.join(dir, `segment-${Math.random().toString(36).slice(2)}.ts`);
    await writeFile(file, Buffer.from(await segment.arrayBuffer()));
    const probed = await probeFile(file);
    if (probed.video?.codec_name !== 'h264' || probed.audio?.codec_name !== 'aac') faults.push(`${resolution} segment holds ${probed.video?.codec_name}/${probed.audio?.codec_name}`);
    if (`${probed.video?.width}x${probed.video?.height}` !== resolution) faults.push(`${resolution} segment is ${probed.video?.width}x${probed.video?.height}`);
  }
  if (renditions.length === 0) faults.push('the master names no rendition');
  return { renditions, faults };
}
