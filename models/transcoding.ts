import { domainEvents, type Origin } from './events.js';
import { isDuplicateKey, isGone, PROCESS_ID } from './ids.js';
import { TranscodeJob, TranscodeLease, type TranscodeJobDoc } from './transcode-job.js';

export type { TranscodeJobDoc };

/** How long a job stays with its process without a renewal; renewed every third of it while ffmpeg runs. */
export const LEASE_MS = 30_000;
/** Jobs looked at in one poll at most: a backlog is worked through a page at a time. */
const POLL_PAGE = 200;

interface NewJob {
  videoId: number;
  authorId: number;
  stage: 'mp4' | 'hls';
  sourceKey?: string;
  videoKey: string;
  mediaBase?: string;
}

/** Queues a video's processing, to be taken up at once. */
export async function enqueue(job: NewJob): Promise<void> {
  const { videoId, ...fields } = job;
  const now = Date.now();
  await TranscodeJob.create({ _id: videoId, ...fields, attempts: 0, createdAt: now, nextAt: now });
}

/**
 * Jobs that may be taken now: due (not backing off), and with no lease, an expired one, or one of a
 * process that is gone. Two small reads: the collections hold only the jobs not done yet.
 */
export async function dueJobs(now = Date.now()): Promise<TranscodeJobDoc[]> {
  const [jobs, leases] = await Promise.all([
    TranscodeJob.find({}).limit(POLL_PAGE).lean<TranscodeJobDoc[]>(),
    TranscodeLease.find({}).lean<Array<{ _id: number; owner: string; expiresAt: number }>>(),
  ]);
  const held = new Map(leases.map((lease) => [lease._id, lease]));
  const due: TranscodeJobDoc[] = [];
  for (const job of jobs.filter((candidate) => candidate.nextAt <= now).sort((a, b) => a.nextAt - b.nextAt)) {
    const lease = held.get(job._id);
    if (!lease || lease.expiresAt <= now || (lease.owner !== PROCESS_ID && (await isGone(lease.owner)))) due.push(job);
  }
  return due;
}

/**
 * Takes `job` for this process: removes a lease that expired or whose process is gone, then inserts
 * this one; another process taking it at the same moment gets a duplicate key and leaves it. Returns
 * the job as taken (its attempts counted), or undefined when another process has it.
 */
export async function claim(job: TranscodeJobDoc, now = Date.now()): Promise<TranscodeJobDoc | undefined> {
  const lease = await TranscodeLease.findById(job._id).lean<{ owner: string; expiresAt: number }>();
  if (lease) {
    if (lease.expiresAt > now && (lease.owner === PROCESS_ID || !(await isGone(lease.owner)))) return undefined;
    await TranscodeLease.deleteOne({ _id: job._id, owner: lease.owner, expiresAt: lease.expiresAt });
  }
  try {
    await TranscodeLease.create({ _id: job._id, owner: PROCESS_ID, expiresAt: now + LEASE_MS });
  } catch (error) {
    if (isDuplicateKey(error)) return undefined;
    throw error;
  }
  const attempts = job.attempts + 1;
  await TranscodeJob.updateOne({ _id: job._id }, { $set: { attempts } });
  return { ...job, attempts };
}

/** Keeps this process's lease on `videoId`; false when it was lost (expired and taken over): the work stops. */
export async function renew(videoId: number): Promise<boolean> {
  const { matchedCount } = await TranscodeLease.updateOne({ _id: videoId, owner: PROCESS_ID }, { $set: { expiresAt: Date.now() + LEASE_MS } });
  return matchedCount === 1;
}

/** The MP4 is made and stored: what is left is the HLS renditions. */
export async function mp4Done(videoId: number): Promise<void> {
  await TranscodeJob.updateOne({ _id: videoId }, { $set: { stage: 'hls' }, $unset: { sourceKey: 1 } });
}

/** The attempt failed; the job is taken again after `delayMs`, by any process. */
export async function retryLater(videoId: number, delayMs: number, error: string): Promise<void> {
  await TranscodeJob.updateOne({ _id: videoId }, { $set: { nextAt: Date.now() + delayMs, lastError: error } });
  await release(videoId);
}

/** This process stops (a shutdown) before finishing the job: it goes back to the queue, its attempt not counted. */
export async function handBack(videoId: number): Promise<void> {
  await TranscodeJob.updateOne({ _id: videoId, attempts: { $gt: 0 } }, { $inc: { attempts: -1 }, $set: { nextAt: Date.now() } });
  await release(videoId);
}

/** The job is over (done, or given up): it leaves the queue. */
export async function finish(videoId: number): Promise<void> {
  await TranscodeJob.deleteOne({ _id: videoId });
  await release(videoId);
}

async function release(videoId: number): Promise<void> {
  await TranscodeLease.deleteOne({ _id: videoId, owner: PROCESS_ID });
}

/** Tells the author how far processing is (the caller sends at most one a second). */
export function reportProgress(videoId: number, authorId: number, percent: number, origin: Origin): void {
  domainEvents.emit('video:progress', { videoId, authorId, percent, origin });
}
