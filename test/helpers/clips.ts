import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What phones and apps send: each made here by Debian's ffmpeg. */
export type ClipKind = 'h264' | 'hevc' | 'vp9' | 'prores' | 'rotated' | 'silent' | 'moov-at-end';

const EXTENSIONS: Record<ClipKind, string> = { h264: 'mp4', hevc: 'mp4', vp9: 'webm', prores: 'mov', rotated: 'mp4', silent: 'mp4', 'moov-at-end': 'mp4' };

const ENCODINGS: Record<ClipKind, string[]> = {
  h264: ['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-movflags', '+faststart'],
  // As iPhones record: HEVC tagged hvc1, AAC.
  hevc: ['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error', '-tag:v', 'hvc1', '-c:a', 'aac', '-movflags', '+faststart'],
  vp9: ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '400k', '-c:a', 'libopus'],
  // ProRes 422 Proxy, 10-bit 4:2:2, with PCM sound, as editing apps export.
  prores: ['-c:v', 'prores_ks', '-profile:v', '0', '-c:a', 'pcm_s16le'],
  // A phone held upright: frames stored landscape, a display matrix turning them a quarter (turnedUpright).
  rotated: ['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-movflags', '+faststart'],
  silent: ['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-an', '-movflags', '+faststart'],
  // ffmpeg's default: the index (moov) after the media data.
  'moov-at-end': ['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-c:a', 'aac'],
};

/** A clip of a moving test pattern with a tone, of `kind`, `seconds` long, of `size` (landscape). */
export async function makeClip(dir: string, kind: ClipKind, { seconds = 3, size = '640x360', rate = 30 } = {}): Promise<{ file: string; bytes: Buffer; filename: string }> {
  const filename = `${kind}-${seconds}s-${size}.${EXTENSIONS[kind]}`;
  const file = path.join(dir, filename);
  await run('ffmpeg', [
    '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${rate}:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`, '-shortest', ...ENCODINGS[kind], file,
  ]);
  const bytes = kind === 'rotated' ? turnedUpright(await readFile(file)) : await readFile(file);
  if (kind === 'rotated') await writeFile(file, bytes);
  return { file, bytes, filename };
}

/**
 * `bytes` (an MP4) with its video track's display matrix turning the frames a quarter clockwise, as a
 * phone held upright records: Debian's ffmpeg 5.1 cannot write one, so the track header is patched.
 */
function turnedUpright(bytes: Buffer): Buffer {
  const turned = Buffer.from(bytes);
  const moov = boxes(bytes).find((box) => box.type === 'moov')!;
  for (const trak of children(bytes, moov).filter((box) => box.type === 'trak')) {
    const mdia = children(bytes, trak).find((box) => box.type === 'mdia')!;
    const hdlr = children(bytes, mdia).find((box) => box.type === 'hdlr')!;
    if (bytes.toString('latin1', hdlr.offset + 16, hdlr.offset + 20) !== 'vide') continue;
    const tkhd = children(bytes, trak).find((box) => box.type === 'tkhd')!;
    const matrix = tkhd.offset + (bytes[tkhd.offset + 8] === 1 ? 60 : 48);
    [0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000].forEach((value, i) => turned.writeInt32BE(value, matrix + 4 * i));
    return turned;
  }
  throw new Error('no video track');
}

function children(bytes: Buffer, parent: { offset: number; size: number }) {
  return boxes(bytes.subarray(parent.offset + 8, parent.offset + parent.size)).map((box) => ({ ...box, offset: box.offset + parent.offset + 8 }));
}

/** `bytes` with everything from the middle of its media data on overwritten by noise: a file damaged half-way. */
export function damagedHalfWay(bytes: Buffer): Buffer {
  const damaged = Buffer.from(bytes);
  const mdat = boxes(bytes).find((box) => box.type === 'mdat')!;
  const from = mdat.offset + Math.floor(mdat.size / 2);
  for (let i = from; i < mdat.offset + mdat.size; i += 1) damaged[i] = (i * 7919) % 251;
  return damaged;
}

/** The top-level boxes of an MP4 file, in order. */
export function boxes(bytes: Buffer): Array<{ type: string; offset: number; size: number }> {
  const found: Array<{ type: string; offset: number; size: number }> = [];
  for (let offset = 0; offset + 8 <= bytes.length;) {
    let size = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    if (size === 1) size = Number(bytes.readBigUInt64BE(offset + 8));
    if (size === 0) size = bytes.length - offset;
    if (size < 8) break;
    found.push({ type, offset, size });
    offset += size;
  }
  return found;
}
