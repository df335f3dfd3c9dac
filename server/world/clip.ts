import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { nextId, transcoding, videos } from '../../models/index.js';
import { storeCover } from '../../storage/cover-maker.js';
import { coverKey, videoKey, type MediaStorage } from '../../storage/media-storage.js';

const run = promisify(execFile);

/**
 * Publishes a three-second clip of a moving test pattern, its hue and tone different for each index,
 * with its cover; it plays everywhere as made, and the processing queue adds its HLS renditions.
 */
export async function publishClip(title: string, authorId: number, index: number, media: MediaStorage): Promise<number> {
  const id = nextId();
  const file = media.tempFile();
  const pattern = `testsrc2=size=360x640:rate=24:duration=3,hue=h=${(index * 47) % 360}`;
  const tone = `sine=frequency=${220 + (index % 12) * 55}:duration=3`;
  await run('ffmpeg', ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', pattern, '-f', 'lavfi', '-i', tone,
    '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', '-movflags', '+faststart', '-f', 'mp4', file]);
  const video = { id, authorId, title, videoKey: videoKey(id, 'mp4'), coverKey: coverKey(id) };
  await media.importFile(file, video.videoKey);
  await storeCover(media, video.videoKey, video.coverKey);
  await transcoding.enqueue({ videoId: id, authorId, stage: 'hls', videoKey: video.videoKey });
  await videos.publish({ ...video, duration: 3, width: 360, height: 640 });
  return id;
}
