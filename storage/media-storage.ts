import type { DiskReservation } from './disk-reserve.js';

/** A stored object and when it was last written. */
export interface StoredObject {
  key: string;
  modified: Date;
}

/**
 * How many objects a listing page holds at most. A sweep looks up the records of a page at once: on
 * FerretDB as that many `_id` equality queries in flight together (models/lookups.ts), so a page is
 * kept to the driver's connection pool (100) rather than S3's 1000, not to queue requests behind it.
 */
export const LIST_PAGE_SIZE = 100;

/** How a stored object is served: a file this server sends, or a URL the client is sent to. */
export type MediaLocation = { file: string } | { url: string };

/**
 * Where media bytes live. Keys are server-made (`videos/<id>.<ext>`, `covers/<id>.jpg`): nothing a
 * client sends becomes part of a key. Uploads are spooled to a local file first (they are checked
 * with ffmpeg before anything is stored), then moved in with `importFile`. Local disk is the default
 * (`local.ts`); `s3.ts` keeps media in an S3-compatible bucket.
 */
export interface MediaStorage {
  /** What holds the media, for the start-up line. */
  readonly description: string;
  /** Where clients fetch media from when not from this server's /media/ route. */
  readonly links?: { url(key: string): Promise<string>; generation(): number };
  init(): Promise<void>;
  close(): Promise<void>;
  /** A fresh local path for an upload in progress, or a cover being made. */
  tempFile(extension?: string): string;
  /**
   * Room for an upload of up to `bytes` to be spooled and stored, held until it is released (when the
   * request ends); undefined when it does not fit beside the reserve of free space and the room held
   * by the other uploads in progress in this process.
   */
  reserveRoom(bytes: number): Promise<DiskReservation | undefined>;
  /**
   * Stores the finished local `file` under `key` and removes the file; readers never see half an
   * object. `signal` cancels a store still under way (its client went away).
   */
  importFile(file: string, key: string, signal?: AbortSignal): Promise<void>;
  remove(key: string): Promise<void>;
  /** Removes up to LIST_PAGE_SIZE keys at once; keys already gone are no error. */
  removeMany(keys: readonly string[]): Promise<void>;
  /** Where ffmpeg reads `key` from: a local path or a URL. */
  source(key: string): Promise<string>;
  /** How the /media/ route serves `key`; undefined when there is no such object. `signal` gives up on the lookup. */
  locate(key: string, signal?: AbortSignal): Promise<MediaLocation | undefined>;
  /** For storage reached over the network (a bucket): whether it answers, before `signal` aborts. */
  ready?(signal: AbortSignal): Promise<boolean>;
  /** The media objects under `prefix`, a page (at most LIST_PAGE_SIZE) at a time, never all at once. */
  listObjects(prefix: MediaPrefix): AsyncIterable<StoredObject[]>;
  /** A local file holding `key` for ffmpeg to read, and what to call once done with it (a bucket's object is downloaded). */
  localCopy(key: string): Promise<{ file: string; release(): Promise<void> }>;
  /** The bytes of a small object (a playlist); undefined when there is no such object. */
  read(key: string, signal?: AbortSignal): Promise<Buffer | undefined>;
  /** Videos whose cover was never made (the process making it died), as [videoKey, coverKey]. */
  videosWithoutCovers(): Promise<Array<[string, string]>>;
}

/** What lives under each prefix: videos as played, covers, uploads waiting to be transcoded, HLS renditions. */
export const MEDIA_PREFIXES = ['videos/', 'covers/', 'sources/', 'hls/'] as const;
export type MediaPrefix = (typeof MEDIA_PREFIXES)[number];

const ID = '[1-9][0-9]{0,15}';
const VIDEO_EXTENSION = '(mp4|mov|webm|mkv|m4v|3gp)';
/** HLS: `hls/<id>/master.m3u8`, a rendition's playlist `hls/<id>/720p.m3u8` and its segments `hls/<id>/720p_000.ts`. */
const KEY = new RegExp(`^((videos|sources)/${ID}\\.${VIDEO_EXTENSION}|covers/${ID}\\.jpg|hls/${ID}/(master\\.m3u8|[0-9]{1,4}p\\.m3u8|[0-9]{1,4}p_[0-9]{3,5}\\.ts))$`);

export function isMediaKey(key: string): boolean {
  return KEY.test(key);
}

export function videoKey(videoId: number, extension: string): string {
  return checkedKey(`videos/${videoId}.${extension}`);
}

export function coverKey(videoId: number): string {
  return checkedKey(`covers/${videoId}.jpg`);
}

/** The id of the video a video key holds, or undefined for anything else. */
export function videoIdOf(key: string): number | undefined {
  const id = /^videos\/([0-9]+)\.[a-z0-9]+$/.exec(key)?.[1];
  return id && isMediaKey(key) ? Number(id) : undefined;
}

/** The id of the video a media key belongs to, or undefined for anything else. */
export function mediaIdOf(key: string): number | undefined {
  const id = /^(?:videos|covers|sources|hls)\/([0-9]+)[./]/.exec(key)?.[1];
  return id && isMediaKey(key) ? Number(id) : undefined;
}

/** Where an upload waits for its transcoding. */
export function sourceKey(videoId: number, extension: string): string {
  return checkedKey(`sources/${videoId}.${extension}`);
}

/** The HLS master playlist of a video; its renditions sit beside it. */
export function hlsKey(videoId: number, name = 'master.m3u8'): string {
  return checkedKey(`hls/${videoId}/${name}`);
}

/** The [videoKey, coverKey] pairs of the stored `videos` whose cover is not among the stored `covers`. */
export function withoutCovers(videos: readonly string[], covers: ReadonlySet<string>): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const key of videos) {
    const id = videoIdOf(key);
    if (id !== undefined && !covers.has(coverKey(id))) pairs.push([key, coverKey(id)]);
  }
  return pairs;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  mp4: 'video/mp4',
  mov: 'video/quicktime',
  m4v: 'video/x-m4v',
  webm: 'video/webm',
  mkv: 'video/x-matroska',
  '3gp': 'video/3gpp',
  jpg: 'image/jpeg',
  m3u8: 'application/vnd.apple.mpegurl',
  ts: 'video/mp2t',
};

/** The content type of a media key, from its server-made extension. */
export function contentTypeOf(key: string): string {
  return CONTENT_TYPES[checkedKey(key).slice(key.lastIndexOf('.') + 1)]!;
}

/** `key`, once it is a well-formed media key: a storage never touches anything else. */
export function checkedKey(key: string): string {
  if (!isMediaKey(key)) throw new Error(`not a media key: ${key}`);
  return key;
}

/** The media storage did not answer, or refused: the operation can be tried again later. */
export class MediaUnavailable extends Error {
  override name = 'MediaUnavailable';

  constructor(message: string, cause: unknown) {
    super(`${message}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}
