import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { LRUCache } from 'lru-cache';

/** URLs signed in the current window, by key: signing is the costly part of a feed page's links. */
const CACHED_URLS = 50_000;

/**
 * The URLs clients fetch a bucket's objects from: under a public base URL (a CDN) when there is
 * one, else presigned GETs (which honour Range). Presigned URLs are signed as of the start of a
 * window half their lifetime long, so every process hands out the same URL for a key within a
 * window (caches can keep it) and each one still works for at least half its lifetime.
 */
export class MediaLinks {
  private readonly windowMs: number;
  private readonly signed = new LRUCache<string, Promise<string>>({ max: CACHED_URLS });
  private signedIn = -1;

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly publicUrl: string | undefined,
    private readonly ttlSeconds: number,
  ) {
    this.windowMs = (ttlSeconds * 1000) / 2;
  }

  /** Changes when links handed out earlier may stop working: views holding links are rebuilt. */
  generation(now = Date.now()): number {
    return this.publicUrl ? 0 : Math.floor(now / this.windowMs);
  }

  url(key: string): Promise<string> {
    if (this.publicUrl) return Promise.resolve(`${this.publicUrl}/${key}`);
    const generation = this.generation();
    if (generation !== this.signedIn) {
      this.signed.clear();
      this.signedIn = generation;
    }
    let url = this.signed.get(key);
    if (!url) {
      url = this.sign(key, new Date(generation * this.windowMs));
      url.catch(() => this.signed.delete(key));
      this.signed.set(key, url);
    }
    return url;
  }

  private sign(key: string, signingDate: Date): Promise<string> {
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: key }), { expiresIn: this.ttlSeconds, signingDate });
  }
}
