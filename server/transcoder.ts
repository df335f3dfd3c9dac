import { rm } from 'node:fs/promises';
import type { Logger } from 'pino';
import { transcoding as queue, videos } from '../models/index.js';
import { FfmpegFailure } from '../storage/ffmpeg-run.js';
import { hlsKey, type MediaStorage } from '../storage/media-storage.js';
import { probe } from '../storage/probe.js';
import { DamagedVideo, normalize, storeHls } from '../storage/transcode.js';

/** How often the queue is looked at while nothing wakes it (a publish on this process does at once). */
const POLL_MS = 5_000;
/** Attempts of one job at most, a process that died in one included. */
const MAX_ATTEMPTS = 3;
/** Waits before the second and third attempts. */
const BACKOFF_MS = [10_000, 60_000];
/** A job whose video has no record this long after it was queued belongs to a publish that failed. */
const RECORD_GRACE_MS = 60_000;
const PROGRESS_EVERY_MS = 1_000;

export interface TranscoderOptions {
  media: MediaStorage;
  /** Jobs this process runs at once (TRANSCODE_CONCURRENCY). */
  concurrency: number;
  logger: Logger;
}

/**
 * Works through the processing queue kept in the store (models/transcoding.ts), `concurrency` jobs at
 * a time: an upload becomes the MP4 that plays everywhere, then its HLS renditions are made. A job
 * holds a lease renewed while it runs; a process that dies leaves it to whoever looks next, after its
 * lease expires (at once on this host, where its pid tells). Failures are tried again with backoff;
 * what cannot be processed is marked failed on the video, and its author told.
 */
export class Transcoder {
  private readonly running = new Map<number, { stop: AbortController; done: Promise<void> }>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private pollAgain = false;
  private stopped = false;

  constructor(private readonly options: TranscoderOptions) {}

  start(): void {
    this.timer = setInterval(() => this.wake(), POLL_MS);
    this.timer.unref();
    this.wake();
  }

  /** Looks for work now (a job was queued here, or one finished). */
  wake(): void {
    if (this.stopped) return;
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    this.polling = true;
    void this.takeJobs()
      .catch((error: unknown) => this.options.logger.warn({ err: error }, 'could not look at the processing queue: looking again later'))
      .finally(() => {
        this.polling = false;
        if (this.pollAgain) {
          this.pollAgain = false;
          this.wake();
        }
      });
  }

  /** Stops taking jobs and stops those running; their leases are let go, for another process or the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    for (const job of this.running.values()) job.stop.abort();
    await Promise.all([...this.running.values()].map((job) => job.done));
  }

  private async takeJobs(): Promise<void> {
    if (this.running.size >= this.options.concurrency) return;
    for (const job of await queue.dueJobs()) {
      if (this.stopped || this.running.size >= this.options.concurrency) return;
      if (this.running.has(job._id)) continue;
      const taken = await queue.claim(job);
      if (!taken) continue;
      const stop = new AbortController();
      const done = this.run(taken, stop.signal).finally(() => {
        this.running.delete(job._id);
        this.wake();
      });
      this.running.set(job._id, { stop, done });
    }
  }

  private async run(job: queue.TranscodeJobDoc, signal: AbortSignal): Promise<void> {
    const { logger } = this.options;
    const lost = new AbortController();
    const renewal = setInterval(() => {
      queue.renew(job._id).then((kept) => kept || lost.abort(), () => undefined);
    }, queue.LEASE_MS / 3);
    const stop = AbortSignal.any([signal, lost.signal]);
    const origin = { mediaBase: job.mediaBase ?? undefined };
    try {
      await this.process(job, stop);
      await queue.finish(job._id);
      await videos.processed(job._id, origin);
      logger.info({ videoId: job._id, attempt: job.attempts }, 'video processed');
    } catch (error) {
      if (lost.signal.aborted) return logger.warn({ videoId: job._id }, 'processing lease lost to another process: leaving the job to it');
      if (signal.aborted) return void (await queue.handBack(job._id).catch(() => undefined));
      await this.failed(job, error).catch((failure: unknown) => logger.warn({ err: failure, videoId: job._id }, 'could not record a processing failure: the job is taken up again once its lease expires'));
    } finally {
      clearInterval(renewal);
    }
  }

  private async process(job: queue.TranscodeJobDoc, signal: AbortSignal): Promise<void> {
    const { media } = this.options;
    if (job.attempts > MAX_ATTEMPTS) throw new GiveUp(`processing was tried ${MAX_ATTEMPTS} times without finishing (${job.lastError ?? 'its process stopped'})`);
    if (!(await videos.recordedAmong([job._id])).has(job._id)) {
      if (Date.now() - job.createdAt < RECORD_GRACE_MS) throw new Error('the video has no record yet');
      throw new GiveUp('the publish of this video did not finish');
    }
    const progress = this.progress(job);
    const fromUpload = job.stage === 'mp4';
    if (fromUpload) {
      const source = await media.localCopy(job.sourceKey!);
      try {
        const info = await probe(source.file);
        if (!info) throw new GiveUp('the upload has no video stream ffmpeg can read');
        const made = await normalize(media, source.file, info, { signal, onProgress: (fraction) => progress(fraction / 2) });
        try {
          await media.importFile(made.file, job.videoKey, signal);
        } finally {
          await rm(made.file, { force: true });
        }
        await videos.markPlayable(job._id, made.meta);
      } finally {
        await source.release();
      }
      await queue.mp4Done(job._id);
      job.stage = 'hls'; // a failure from here on leaves a video that plays
      await media.remove(job.sourceKey!).catch(() => undefined); // else swept with the orphans once the video is gone
    }
    // A video remuxed while its publish waited was not decoded then (normalize's checkCopy).
    await storeHls(media, job._id, job.videoKey, { signal, checkWhole: !fromUpload, onProgress: (fraction) => progress(fromUpload ? 0.5 + fraction / 2 : fraction) });
    await videos.hlsMade(job._id, hlsKey(job._id));
  }

  /** Reports progress to the author at most once a second. */
  private progress(job: queue.TranscodeJobDoc): (fraction: number) => void {
    let last = 0;
    let lastPercent = -1;
    return (fraction) => {
      const percent = Math.floor(fraction * 100);
      if (percent === lastPercent || Date.now() - last < PROGRESS_EVERY_MS) return;
      last = Date.now();
      lastPercent = percent;
      queue.reportProgress(job._id, job.authorId, percent, { mediaBase: job.mediaBase ?? undefined });
    };
  }

  /**
   * Tries again later, or gives up: a video without its MP4 fails; one that plays is ready without
   * HLS, unless its MP4 (remuxed while its publish waited) turned out damaged.
   */
  private async failed(job: queue.TranscodeJobDoc, error: unknown): Promise<void> {
    const reason = error instanceof Error ? error.message : String(error);
    const final = error instanceof GiveUp || (error instanceof FfmpegFailure && error.kind === 'input') || job.attempts >= MAX_ATTEMPTS;
    this.options.logger.warn({ videoId: job._id, attempt: job.attempts, stage: job.stage, reason, final }, final ? 'video processing failed for good' : 'video processing failed: trying again later');
    if (!final) return queue.retryLater(job._id, BACKOFF_MS[job.attempts - 1] ?? BACKOFF_MS.at(-1)!, reason);
    const origin = { mediaBase: job.mediaBase ?? undefined };
    const damagedCopy = job.stage === 'hls' && error instanceof DamagedVideo;
    if (job.stage === 'mp4' || damagedCopy) await videos.markFailed(job._id, job.authorId, `the video cannot be processed: ${reason}`, origin, { published: damagedCopy });
    await queue.finish(job._id);
    // The record keeps why; the upload would only take room (the author sends a better one).
    if (job.sourceKey) await this.options.media.remove(job.sourceKey).catch(() => undefined);
    if (job.stage === 'hls') await videos.processed(job._id, origin);
  }
}

/** A failure that trying again cannot mend. */
class GiveUp extends Error {
  override name = 'GiveUp';
}
