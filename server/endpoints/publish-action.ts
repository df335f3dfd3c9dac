import { rm } from 'node:fs/promises';
import { currentDeadline, DeadlineExceeded } from '../../models/deadline.js';
import { isStoreUnavailable, nextId, Refusal, transcoding, videos } from '../../models/index.js';
import type { VideoMeta } from '../../models/videos.js';
import { coverKey, MediaUnavailable, sourceKey, videoKey, type MediaStorage } from '../../storage/media-storage.js';
import { probe, type MediaInfo } from '../../storage/probe.js';
import { sniffVideo } from '../../storage/sniff.js';
import { normalize } from '../../storage/transcode.js';
import { outputSize, videoCopies } from '../../storage/transcode-plan.js';
import { defineEndpoint } from '../http/endpoint.js';
import { title } from '../http/schemas.js';

/** How long a publish waits for its cover before answering (the app gives up after about 5 s). */
const COVER_WAIT_MS = 1_500;
/** What a published video's answer keeps of its budget: it is not turned into a refusal by the wait for its cover. */
const ANSWER_MARGIN_MS = 250;
/** The longest a remux may keep a publish waiting; past it the upload goes through the processing queue. */
const REMUX_MAX_MS = 2_000;

export default defineEndpoint({
  method: 'POST',
  path: '/douyin/publish/action/',
  summary: 'Publish a video: multipart with the file in `data`; the cover is a frame of the video',
  auth: 'required',
  params: { title },
  upload: {
    field: 'data',
    // Its room on disk is reserved by the upload machinery (endpoint.ts), for every upload.
    async admit(viewerId, { limits }) {
      await limits.publishesPerUser.consume(viewerId);
    },
  },
  refusal: {},
  async handler({ params, viewerId, upload, signal, mediaBase, services: { media, covers, transcoder } }) {
    if (!upload) throw new Refusal('INVALID_PARAMETER', 'data is required: the video file');
    const format = await sniffVideo(upload.path);
    if (!format) throw new Refusal('NOT_A_VIDEO', 'data is not a video: send MP4, MOV, WebM, MKV or 3GP');
    const check = await covers.check(upload.path);
    if (!check.playable) throw new Refusal('NOT_A_VIDEO', `data is not a playable video: ${check.reason}`);
    const id = nextId();
    const info = transcoder ? await probe(upload.path) : undefined;
    if (transcoder && !info) throw new Refusal('NOT_A_VIDEO', 'data is not a playable video: it has no video stream ffmpeg can read');
    const stored = info ? await prepare(id, info, upload.path, format.extension, media) : { key: videoKey(id, format.extension) };
    const video = { id, authorId: viewerId, title: params.title, videoKey: info ? videoKey(id, 'mp4') : stored.key, coverKey: coverKey(id) };
    try {
      await media.importFile(stored.file ?? upload.path, stored.key, signal);
    } finally {
      if (stored.file) await rm(stored.file, { force: true });
    }
    let asked = false;
    try {
      // Answered already (its budget spent) or its client gone: not published behind its back. A budget
      // spent by now ran out while the upload was being stored (the bucket or the disk), not in the store.
      if (signal.reason instanceof DeadlineExceeded) throw new MediaUnavailable('storing the upload took the request\'s whole budget', signal.reason);
      signal.throwIfAborted();
      asked = true;
      if (info) {
        await transcoding.enqueue({ videoId: id, authorId: viewerId, stage: stored.video ? 'hls' : 'mp4', sourceKey: stored.video ? undefined : stored.key, videoKey: video.videoKey, mediaBase });
      }
      const meta = stored.video ?? (info && { ...outputSize(info), duration: info.duration, state: 'processing' as const });
      // Only media served from elsewhere needs the flag: /media/ is the cover's link anyway.
      await videos.publish({ ...video, ...meta, coverPending: media.links !== undefined });
    } catch (error) {
      // A record the store did not confirm may still be written (a frozen store applies it when it
      // thaws): its object stays, so that a video is never listed without its bytes. Otherwise
      // nothing links to the object. What is left either way without a record is swept after
      // ORPHAN_MEDIA_AGE_S (storage/orphan-sweep.ts), and a job without its video is dropped.
      if (!(asked && isStoreUnavailable(error))) await media.remove(stored.key).catch(() => undefined);
      throw error;
    }
    transcoder?.wake();
    const left = currentDeadline()?.left() ?? Infinity;
    await covers.start(stored.key, video.coverKey, Math.max(0, Math.min(COVER_WAIT_MS, left - ANSWER_MARGIN_MS)));
    return {};
  },
});

/**
 * Where an upload goes. One whose video stream plays everywhere as it is (transcode-plan.ts) is remuxed
 * now, in a moment, and is in the feeds at once: `file` is the MP4 to store as the video, and `video`
 * what it holds. Any other (or a remux that does not finish in its share of the budget) is stored as
 * it came, for the processing queue.
 */
async function prepare(id: number, info: MediaInfo, upload: string, extension: string, media: MediaStorage): Promise<{ key: string; file?: string; video?: VideoMeta }> {
  if (videoCopies(info)) {
    const left = currentDeadline()?.left() ?? Infinity;
    const bound = AbortSignal.timeout(Math.max(0, Math.floor(Math.min(REMUX_MAX_MS, left / 2))));
    // Not decoded while the publish waits (a large clip would take seconds): the queue's HLS step
    // decodes it, and takes a damaged one out of the feeds again.
    const made = await normalize(media, upload, info, { signal: bound, niced: false, checkCopy: false }).catch(() => undefined);
    if (made) return { key: videoKey(id, 'mp4'), file: made.file, video: made.meta };
  }
  return { key: sourceKey(id, extension) };
}
