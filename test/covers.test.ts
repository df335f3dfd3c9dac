import { rm } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { extractCover } from '../storage/covers.js';
import { fixtureDir } from './helpers/media.js';

test('a cover that cannot be made says why without the video URL (a presigned URL in a log would let readers fetch it)', async (t) => {
  const dir = await fixtureDir();
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const secret = 'http://127.0.0.1:1/media/videos/1.mp4?X-Amz-Signature=0123456789abcdef';
  const error = await t.throwsAsync(extractCover(secret, path.join(dir, 'cover.jpg')));
  t.regex(error!.message, /^ffmpeg failed: .*<video URL>/);
  t.notRegex(JSON.stringify(error, Object.getOwnPropertyNames(error)), /X-Amz-Signature|0123456789abcdef/);
});
