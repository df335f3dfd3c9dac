import path from 'node:path';
import { LocalStorage } from '../storage/local.js';
import type { MediaStorage } from '../storage/media-storage.js';
import { S3Storage } from '../storage/s3.js';
import type { Config } from './config.js';

/** The media storage the configuration names, ready for use: local disk under DATA_DIR, or an S3 bucket. */
export async function openMediaStorage(config: Config): Promise<MediaStorage> {
  const media = config.MEDIA_STORAGE === 's3' ? s3Storage(config) : new LocalStorage(path.join(config.DATA_DIR, 'media'), minFree(config));
  await media.init();
  return media;
}

function s3Storage(config: Config): S3Storage {
  const credentials = config.S3_ACCESS_KEY_ID && config.S3_SECRET_ACCESS_KEY
    ? { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY }
    : undefined;
  return new S3Storage({
    bucket: config.S3_BUCKET!,
    endpoint: config.S3_ENDPOINT,
    presignEndpoint: config.S3_PRESIGN_ENDPOINT,
    region: config.S3_REGION,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    credentials,
    publicUrl: config.S3_PUBLIC_URL,
    urlTtlSeconds: config.S3_URL_TTL,
    spoolDir: path.join(config.DATA_DIR, 'uploads'),
    minFreeBytes: minFree(config),
  });
}

function minFree(config: Config): number {
  return config.MIN_FREE_DISK_MB * 1024 * 1024;
}
