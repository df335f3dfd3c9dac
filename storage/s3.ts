import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  paginateListObjectsV2,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import pLimit from 'p-limit';
import type { DiskReservation } from './disk-reserve.js';
import { checkedKey, contentTypeOf, isMediaKey, LIST_PAGE_SIZE, withoutCovers, MediaUnavailable, type MediaLocation, type MediaPrefix, type MediaStorage, type StoredObject } from './media-storage.js';
import { MediaLinks } from './media-links.js';
import { Spool } from './spool.js';

export interface S3Settings {
  bucket: string;
  /** An S3-compatible server's URL; unset: AWS. */
  endpoint?: string;
  /** The endpoint as clients reach it, when it differs (a container network): presigned links are signed for it. */
  presignEndpoint?: string;
  region: string;
  forcePathStyle: boolean;
  /** Unset: the AWS SDK's default chain (AWS_* variables, profiles, instance roles). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** A base URL that serves the bucket's keys (a CDN); unset: clients get presigned URLs. */
  publicUrl?: string;
  /** How long a presigned URL handed to a client works, in seconds. */
  urlTtlSeconds: number;
  /** Where uploads are spooled on this host before they are checked and sent. */
  spoolDir: string;
  minFreeBytes: number;
}

/** Multipart parts: each upload buffers at most PART_BYTES × QUEUE_SIZE, and IMPORTS run at once. */
const PART_BYTES = 8 * 1024 * 1024;
const QUEUE_SIZE = 2;
const IMPORTS = 4;
/** ffmpeg reads a video it makes a cover of through a URL good for this long. */
const SOURCE_TTL_SECONDS = 15 * 60;
/** Multipart uploads started longer ago than this belong to a process that died mid-upload. */
const STALE_MULTIPART_MS = 3600 * 1000;
/** Objects never change under a key: caches may keep them. */
const CACHE_CONTROL = 'public, max-age=31536000, immutable';

/**
 * Media in an S3-compatible bucket. Uploads are spooled on this host and checked, then streamed to
 * the bucket in parts (bounded memory); a failed or cancelled import leaves no object and no
 * parts. Clients fetch straight from the bucket (or its CDN), never through this server.
 */
export class S3Storage implements MediaStorage {
  readonly description: string;
  readonly links: MediaLinks;
  private readonly client: S3Client;
  private readonly spool: Spool;
  private readonly imports = pLimit(IMPORTS);
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly settings: S3Settings) {
    this.client = s3Client(settings, settings.endpoint);
    const signer = settings.presignEndpoint ? s3Client(settings, settings.presignEndpoint) : this.client;
    this.spool = new Spool(settings.spoolDir, settings.minFreeBytes);
    this.links = new MediaLinks(signer, settings.bucket, settings.publicUrl, settings.urlTtlSeconds);
    this.description = `S3 bucket ${settings.bucket}${settings.endpoint ? ` at ${settings.endpoint}` : ''}`;
  }

  /** Checks the bucket answers (creating it if missing) and aborts uploads of processes that died. */
  async init(): Promise<void> {
    await this.spool.init();
    await this.ensureBucket();
    await this.abortStaleUploads(STALE_MULTIPART_MS);
    // An abort that failed (the bucket was down) is made by a later sweep.
    this.sweeper = setInterval(() => void this.abortStaleUploads(STALE_MULTIPART_MS).catch(() => undefined), STALE_MULTIPART_MS);
    this.sweeper.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    await this.spool.close();
    this.client.destroy();
  }

  tempFile(extension?: string): string {
    return this.spool.tempFile(extension);
  }

  reserveRoom(bytes: number): Promise<DiskReservation | undefined> {
    return this.spool.reserveRoom(bytes);
  }

  async importFile(file: string, key: string, signal?: AbortSignal): Promise<void> {
    const upload = async () => {
      signal?.throwIfAborted();
      const body = createReadStream(file);
      const parts = new Upload({
        client: this.client,
        params: { Bucket: this.settings.bucket, Key: checkedKey(key), Body: body, ContentType: contentTypeOf(key), CacheControl: CACHE_CONTROL },
        partSize: PART_BYTES,
        queueSize: QUEUE_SIZE,
        leavePartsOnError: false,
      });
      const abort = () => void parts.abort();
      signal?.addEventListener('abort', abort, { once: true });
      try {
        await parts.done();
      } finally {
        signal?.removeEventListener('abort', abort);
        body.destroy(); // a failed upload may stop reading mid-file: the descriptor is closed anyway
      }
    };
    // Waiting for a turn (IMPORTS at once) stops with the signal too: behind imports a stalled bucket holds.
    await reaching(`storing ${key}`, () => untilAborted(this.imports(upload), signal));
    await rm(file, { force: true });
  }

  async remove(key: string): Promise<void> {
    await reaching(`deleting ${key}`, () => this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: checkedKey(key) })));
  }

  async removeMany(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const Objects = keys.map((key) => ({ Key: checkedKey(key) }));
    const { Errors } = await reaching(`deleting ${keys.length} objects`, () => this.client.send(new DeleteObjectsCommand({ Bucket: this.settings.bucket, Delete: { Objects, Quiet: true } })));
    if (Errors?.length) throw new MediaUnavailable(`deleting ${Errors.length} of ${keys.length} objects`, new Error(`${Errors[0]!.Key}: ${Errors[0]!.Code} ${Errors[0]!.Message}`));
  }

  private async exists(key: string, signal?: AbortSignal): Promise<boolean> {
    const head = () => this.client.send(new HeadObjectCommand({ Bucket: this.settings.bucket, Key: checkedKey(key) }), { abortSignal: signal }).then(
      () => true,
      (error: unknown) => (statusOf(error) === 404 ? false : Promise.reject(error)),
    );
    return reaching(`looking up ${key}`, head);
  }

  source(key: string): Promise<string> {
    const command = new GetObjectCommand({ Bucket: this.settings.bucket, Key: checkedKey(key) });
    return getSignedUrl(this.client, command, { expiresIn: SOURCE_TTL_SECONDS });
  }

  async localCopy(key: string): Promise<{ file: string; release(): Promise<void> }> {
    const file = this.tempFile();
    const release = () => rm(file, { force: true });
    try {
      await reaching(`fetching ${key}`, async () => {
        const { Body } = await this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: checkedKey(key) }));
        await pipeline(Body as Readable, createWriteStream(file));
      });
      return { file, release };
    } catch (error) {
      await release();
      throw error;
    }
  }

  async read(key: string, signal?: AbortSignal): Promise<Buffer | undefined> {
    const get = () => this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: checkedKey(key) }), { abortSignal: signal }).then(
      async ({ Body }) => Buffer.from(await Body!.transformToByteArray()),
      (error: unknown) => (statusOf(error) === 404 ? undefined : Promise.reject(error)),
    );
    return reaching(`reading ${key}`, get);
  }

  async locate(key: string, signal?: AbortSignal): Promise<MediaLocation | undefined> {
    return (await this.exists(key, signal)) ? { url: await this.links.url(key) } : undefined;
  }

  /** Whether the bucket answers (HeadBucket, one try) before `signal` aborts. */
  async ready(signal: AbortSignal): Promise<boolean> {
    return this.client.send(new HeadBucketCommand({ Bucket: this.settings.bucket }), { abortSignal: signal }).then(() => true, () => false);
  }

  async videosWithoutCovers(): Promise<Array<[string, string]>> {
    return withoutCovers(await this.keysUnder('videos/'), new Set(await this.keysUnder('covers/')));
  }

  async *listObjects(prefix: MediaPrefix): AsyncIterable<StoredObject[]> {
    const pages = paginateListObjectsV2({ client: this.client, pageSize: LIST_PAGE_SIZE }, { Bucket: this.settings.bucket, Prefix: prefix });
    for await (const page of pages) {
      yield (page.Contents ?? []).flatMap(({ Key, LastModified }) => (Key && LastModified && isMediaKey(Key) ? [{ key: Key, modified: LastModified }] : []));
    }
  }

  /** Aborts multipart uploads begun more than `olderThanMs` ago: their process died before finishing or aborting them. */
  async abortStaleUploads(olderThanMs: number): Promise<number> {
    const { bucket } = this.settings;
    let aborted = 0;
    // Uploads and transcoded videos are the objects large enough to be sent in parts.
    for (const Prefix of ['videos/', 'sources/']) {
      let markers: { KeyMarker?: string; UploadIdMarker?: string } = {};
      for (;;) {
        const page = await this.client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix, ...markers }));
        for (const { Key, UploadId, Initiated } of page.Uploads ?? []) {
          if (!Key || !UploadId || (Initiated && Date.now() - Initiated.getTime() < olderThanMs)) continue;
          await this.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key, UploadId }));
          aborted += 1;
        }
        if (!page.IsTruncated) break;
        markers = { KeyMarker: page.NextKeyMarker, UploadIdMarker: page.NextUploadIdMarker };
      }
    }
    return aborted;
  }

  private async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.settings.bucket }));
    } catch (error) {
      if (statusOf(error) !== 404) throw new Error(`S3 bucket ${this.settings.bucket} cannot be reached: ${describe(error)}`);
      await this.client.send(new CreateBucketCommand({ Bucket: this.settings.bucket }));
    }
  }

  private async keysUnder(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const page of paginateListObjectsV2({ client: this.client }, { Bucket: this.settings.bucket, Prefix: prefix })) {
      for (const { Key } of page.Contents ?? []) if (Key && isMediaKey(Key)) keys.push(Key);
    }
    return keys;
  }
}

function s3Client(settings: S3Settings, endpoint: string | undefined): S3Client {
  return new S3Client({
    endpoint,
    region: settings.region,
    forcePathStyle: settings.forcePathStyle,
    credentials: settings.credentials,
    // A bucket that stops answering fails a request within 10 s of silence (30 s at most in all),
    // tried twice: a publish is answered, refused, within about half a minute.
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 5_000, socketTimeout: 10_000, requestTimeout: 30_000, throwOnRequestTimeout: true },
    // Checksums only where S3 requires them: several S3-compatible servers refuse the newer ones.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** `work`, or its signal's reason as soon as the signal aborts (the work is left to notice by itself). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  work.catch(() => undefined); // it may fail after its caller stopped waiting
  return new Promise<T>((resolve, reject) => {
    const stop = () => reject(signal.reason);
    if (signal.aborted) return stop();
    signal.addEventListener('abort', stop, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', stop));
  });
}

/** Runs a request to the bucket; its failure means the storage is unavailable for now. */
async function reaching<T>(what: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw new MediaUnavailable(what, error);
  }
}

function statusOf(error: unknown): number | undefined {
  return error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
}

function describe(error: unknown): string {
  return error instanceof S3ServiceException ? `${error.name} (HTTP ${error.$metadata.httpStatusCode ?? '?'})` : String(error);
}
