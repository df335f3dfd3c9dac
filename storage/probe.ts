import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** ffprobe reads headers only: past this the file is not one to process. */
const PROBE_MS = 10_000;

/** What transcoding needs to know of a video file, as ffprobe reads it. */
export interface MediaInfo {
  /** ffprobe's format name, e.g. `mov,mp4,m4a,3gp,3g2,mj2`. */
  container: string;
  /** Seconds; 0 when the file does not say. */
  duration: number;
  video: {
    codec: string;
    pixelFormat: string;
    /** Coded size, before rotation. */
    width: number;
    height: number;
    /** Clockwise degrees a player turns the frames: 0, 90, 180 or 270. */
    rotation: number;
    /** Frames per second; 0 when the file does not say. */
    fps: number;
    /** Seconds of video (the file may hold longer sound); 0 when the file does not say. */
    duration: number;
  };
  /** Undefined for a video without sound. */
  audio?: { codec: string };
}

interface ProbeStream {
  codec_type?: string;
  codec_name?: string;
  pix_fmt?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  duration?: string;
  tags?: { rotate?: string };
  side_data_list?: Array<{ side_data_type?: string; rotation?: number }>;
}

/** Reads `file`'s streams; undefined when it has no video stream ffprobe can read. */
export async function probe(file: string): Promise<MediaInfo | undefined> {
  let parsed: { format?: { format_name?: string; duration?: string }; streams?: ProbeStream[] };
  try {
    const { stdout } = await run('ffprobe', ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', file], {
      timeout: PROBE_MS, killSignal: 'SIGKILL', maxBuffer: 1024 * 1024,
    });
    parsed = JSON.parse(stdout) as typeof parsed;
  } catch {
    return undefined;
  }
  const video = parsed.streams?.find((stream) => stream.codec_type === 'video' && stream.width && stream.height);
  if (!video) return undefined;
  const audio = parsed.streams?.find((stream) => stream.codec_type === 'audio');
  return {
    container: parsed.format?.format_name ?? '',
    duration: positive(Number(parsed.format?.duration)) || positive(Number(video.duration)),
    video: {
      codec: video.codec_name ?? '',
      pixelFormat: video.pix_fmt ?? '',
      width: video.width!,
      height: video.height!,
      rotation: rotationOf(video),
      fps: positive(rate(video.avg_frame_rate)) || positive(rate(video.r_frame_rate)),
      duration: positive(Number(video.duration)),
    },
    audio: audio ? { codec: audio.codec_name ?? '' } : undefined,
  };
}

/** The size a player shows: the coded size turned by the rotation. */
export function displayedSize(info: MediaInfo): { width: number; height: number } {
  const { width, height, rotation } = info.video;
  return rotation === 90 || rotation === 270 ? { width: height, height: width } : { width, height };
}

/**
 * The rotation a player applies, clockwise. ffprobe reports the display matrix counter-clockwise
 * (-90 for a phone held upright); older files carry a `rotate` tag instead, clockwise.
 */
function rotationOf(stream: ProbeStream): number {
  const matrix = stream.side_data_list?.find((data) => data.side_data_type === 'Display Matrix')?.rotation;
  const degrees = matrix !== undefined ? -matrix : Number(stream.tags?.rotate ?? 0);
  return (((Math.round(degrees / 90) * 90) % 360) + 360) % 360;
}

function rate(fraction: string | undefined): number {
  const [numerator, denominator] = (fraction ?? '').split('/').map(Number);
  return numerator && denominator ? numerator / denominator : 0;
}

function positive(value: number): number {
  return Number.isFinite(value) && value > 0 ? value : 0;
}

/** The longest stretch of `file`'s video without a keyframe, its end included (packets read, nothing decoded); Infinity when unknown. */
export async function longestKeyframeGap(file: string, duration: number): Promise<number> {
  try {
    const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time,flags', '-of', 'csv=p=0', file], {
      timeout: PROBE_MS, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024,
    });
    const keyframes = stdout.split('\n').filter((line) => /,K/.test(line)).map((line) => Number(line.split(',')[0])).sort((a, b) => a - b);
    if (keyframes.length === 0 || keyframes.some((time) => !Number.isFinite(time))) return Infinity;
    return Math.max(...[...keyframes.slice(1), duration].map((time, i) => time - keyframes[i]!));
  } catch {
    return Infinity;
  }
}
