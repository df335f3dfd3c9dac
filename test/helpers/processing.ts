import type { ExecutionContext } from 'ava';
import { client, type Client } from './api.js';
import { checkHls, mp4Faults } from './playable.js';
import { lineMatching, type ServerProcess } from './server.js';
import { connect, type Recorder } from './sockets.js';

/** A published video as its author's publish list shows it. */
export type OwnVideo = Record<string, any> & { id: number; state: string; play_url: string; hls_url: string };

export interface Publication {
  /** The publish answer. */
  answer: Record<string, any>;
  /** The video as the author saw it right after the answer. */
  listed: OwnVideo;
  /** The author's socket, connected before the publish; `progressTimes`: when each video:progress arrived. */
  socket: Recorder;
  progressTimes: number[];
}

/** Publishes `bytes` as `author` with a socket of theirs listening. */
export async function publishWatched(api: Client, realtimeUrl: string, author: { token: string }, bytes: Buffer, filename: string, title = filename): Promise<Publication> {
  const socket = await connect(realtimeUrl, author.token);
  const progressTimes: number[] = [];
  socket.socket.on('video:progress', () => progressTimes.push(Date.now()));
  const { body: answer } = await api.upload('/douyin/publish/action/', { token: author.token, title }, { bytes, filename });
  const listed = (await api.get('/douyin/publish/list/', { token: author.token })).body.video_list?.[0] as OwnVideo;
  return { answer, listed, socket, progressTimes };
}

/** Waits for the author's socket to hear that `videoId` is ready or failed. */
export async function outcome(publication: Publication, videoId: number, ms = 120_000): Promise<{ ready?: Record<string, any>; failed?: { video_id: number; status_msg: string } }> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ready = publication.socket.received('video:ready').find((event) => event.video.id === videoId);
    if (ready) return { ready: ready.video };
    const failed = publication.socket.received('video:failed').find((event) => event.video_id === videoId);
    if (failed) return { failed };
    if (Date.now() > deadline) throw new Error(`video ${videoId} neither ready nor failed after ${ms / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Polls the author's publish list until `videoId` satisfies `done`. */
export async function ownVideoWhen(api: Client, token: string, videoId: number, done: (video: OwnVideo) => boolean, ms = 120_000): Promise<OwnVideo> {
  const deadline = Date.now() + ms;
  for (;;) {
    const list = (await api.get('/douyin/publish/list/', { token }).catch(() => undefined))?.body.video_list as OwnVideo[] | undefined;
    const video = list?.find((candidate) => candidate.id === videoId);
    if (video && done(video)) return video;
    if (Date.now() > deadline) throw new Error(`video ${videoId} not as expected after ${ms / 1000} s: ${JSON.stringify(video)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * After a SIGKILL mid-transcode, `server` (the next start) finishes the 10 s clip `videoId`: its second
 * attempt makes a faultless faststart MP4 of the whole clip and HLS renditions.
 */
export async function finishedAfterRestart(t: ExecutionContext<any>, server: ServerProcess, author: { token: string }, videoId: number, fixtures: string): Promise<void> {
  const done = await ownVideoWhen(client(server.baseUrl), author.token, videoId, (video) => video.hls_url !== '', 180_000);
  t.is(done.state, 'ready');
  // The job's end is logged once the video is done: just after hls_url shows.
  await t.notThrowsAsync(lineMatching(server, /"attempt":2.*"msg":"video processed"/, 10_000), 'the second attempt finished it');
  const { faults, probed } = await mp4Faults(Buffer.from(await (await fetch(done.play_url)).arrayBuffer()), fixtures);
  t.deepEqual(faults, []);
  t.true(Math.abs(probed.duration - 10) < 0.35);
  t.deepEqual((await checkHls(done.hls_url, fixtures, 4.6)).faults, []);
}
