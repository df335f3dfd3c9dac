import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { CoverMaker } from '../storage/cover-maker.js';
import { extractCover } from '../storage/covers.js';
import { LocalStorage } from '../storage/local.js';
import { coverKey, videoKey } from '../storage/media-storage.js';
import { fixtureDir, tinyVideo } from './helpers/media.js';

test('a cover that cannot be made says why without the video URL (a presigned URL in a log would let readers fetch it)', async (t) => {
  const dir = await fixtureDir();
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const secret = 'http://127.0.0.1:1/media/videos/1.mp4?X-Amz-Signature=0123456789abcdef';
  const error = await t.throwsAsync(extractCover(secret, path.join(dir, 'cover.jpg')));
  t.regex(error!.message, /^ffmpeg failed: .*<video URL>/);
  t.notRegex(JSON.stringify(error, Object.getOwnPropertyNames(error)), /X-Amz-Signature|0123456789abcdef/);
});

test('stopping the cover maker drops the covers still waiting and waits only for those being made', async (t) => {
  const dir = await fixtureDir();
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const storage = new LocalStorage(dir);
  await storage.init();
  t.teardown(() => storage.close());
  const keys = Array.from({ length: 30 }, (_, i) => [videoKey(i + 1, 'mp4'), coverKey(i + 1)] as const);
  for (const [video] of keys) {
    const file = path.join(dir, 'upload.mp4');
    await writeFile(file, await tinyVideo());
    await storage.importFile(file, video);
  }
  const made: string[] = [];
  const covers = new CoverMaker(storage, true, () => undefined, async (video) => void made.push(video));
  for (const [video, cover] of keys) void covers.start(video, cover, 0);
  await covers.stop();
  t.true(made.length <= 2, `only the covers being made were finished: ${made.length}`);
  await covers.start(keys[29]![0], keys[29]![1], 1_000);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  t.true(made.length <= 2, 'nothing is made once stopped');
  t.true((await storage.videosWithoutCovers()).length >= 28, 'the dropped ones are left for the next start to make');
});
