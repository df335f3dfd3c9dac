/**
 * Where media bytes live. Keys are server-made (`videos/<id>.<ext>`, `covers/<id>.jpg`): nothing a
 * client sends becomes part of a key. The local-disk driver is the default; an S3-compatible driver
 * would implement the same interface, with `localPath` replaced by presigned URLs for serving.
 */
export interface MediaStorage {
  /** A fresh path on the storage's filesystem for an upload in progress. */
  tempFile(): string;
  /** Moves a finished local file in under `key` (atomically: readers never see half a file). */
  importFile(file: string, key: string): Promise<void>;
  remove(key: string): Promise<void>;
  exists(key: string): Promise<boolean>;
  /** The file that holds `key`, for serving and for ffmpeg. */
  localPath(key: string): string;
  /** Whether `bytes` more fit while keeping the storage's reserve of free space. */
  hasRoomFor(bytes: number): Promise<boolean>;
}

const KEY = /^(videos|covers)\/[1-9][0-9]{0,15}\.(mp4|mov|webm|mkv|m4v|3gp|jpg)$/;

export function isMediaKey(key: string): boolean {
  return KEY.test(key);
}

export function videoKey(videoId: number, extension: string): string {
  return checked(`videos/${videoId}.${extension}`);
}

export function coverKey(videoId: number): string {
  return checked(`covers/${videoId}.jpg`);
}

function checked(key: string): string {
  if (!isMediaKey(key)) throw new Error(`not a media key: ${key}`);
  return key;
}
