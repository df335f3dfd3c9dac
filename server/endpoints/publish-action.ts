import { currentDeadline } from '../../models/deadline.js';
import { isStoreUnavailable, nextId, Refusal, videos } from '../../models/index.js';
import { coverKey, videoKey } from '../../storage/media-storage.js';
import { sniffVideo } from '../../storage/sniff.js';
import { defineEndpoint } from '../http/endpoint.js';
import { title } from '../http/schemas.js';

/** How long a publish waits for its cover before answering (the app gives up after about 5 s). */
const COVER_WAIT_MS = 1_500;
/** What a published video's answer keeps of its budget: it is not turned into a refusal by the wait for its cover. */
const ANSWER_MARGIN_MS = 250;

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
  async handler({ params, viewerId, upload, signal, services: { media, covers } }) {
    if (!upload) throw new Refusal('INVALID_PARAMETER', 'data is required: the video file');
    const format = await sniffVideo(upload.path);
    if (!format) throw new Refusal('NOT_A_VIDEO', 'data is not a video: send MP4, MOV, WebM, MKV or 3GP');
    const check = await covers.check(upload.path);
    if (!check.playable) throw new Refusal('NOT_A_VIDEO', `data is not a playable video: ${check.reason}`);
    const id = nextId();
    const video = { id, authorId: viewerId, title: params.title, videoKey: videoKey(id, format.extension), coverKey: coverKey(id) };
    await media.importFile(upload.path, video.videoKey, signal);
    let asked = false;
    try {
      // Answered already (its budget spent) or its client gone: not published behind its back.
      signal.throwIfAborted();
      asked = true;
      // Only media served from elsewhere needs the flag: /media/ is the cover's link anyway.
      await videos.publish({ ...video, coverPending: media.links !== undefined });
    } catch (error) {
      // A record the store did not confirm may still be written (a frozen store applies it when it
      // thaws): its object stays, so that a video is never listed without its bytes. Otherwise
      // nothing links to the object. What is left either way without a record is swept after
      // ORPHAN_MEDIA_AGE_S (storage/orphan-sweep.ts).
      if (!(asked && isStoreUnavailable(error))) await media.remove(video.videoKey).catch(() => undefined);
      throw error;
    }
    const left = currentDeadline()?.left() ?? Infinity;
    await covers.start(video.videoKey, video.coverKey, Math.max(0, Math.min(COVER_WAIT_MS, left - ANSWER_MARGIN_MS)));
    return {};
  },
});
