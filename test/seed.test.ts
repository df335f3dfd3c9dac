import { execFile } from 'node:child_process';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { PROJECT_ROOT } from '../server/paths.js';
import { client } from './helpers/api.js';
import { temporaryDir } from './helpers/dirs.js';
import { decodeImage } from './helpers/media.js';
import { startServer } from './helpers/server.js';
import { startTestStore } from './helpers/store.js';

const run = promisify(execFile);
const SEED = `${PROJECT_ROOT}dist/server/tools/seed.js`;

test('seed fills the store with a small world through the domain; two at once and a rerun add only what is missing', async (t) => {
  const store = await startTestStore();
  t.teardown(() => store.stop());
  const dataDir = temporaryDir('douyin-seed-');
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const env = { PATH: process.env.PATH, MONGO_URL: `${store.url}seeded`, DATA_DIR: dataDir, JWT_SECRET: 'x'.repeat(40) };
  const seed = (...args: string[]) => run(process.execPath, [SEED, '--users', '4', '--follows', '1', '--likes', '2', '--comments', '2', '--messages', '2', ...args], { env });

  const [first, second] = await Promise.all([seed('--videos', '3'), seed('--videos', '3')]);
  t.regex(first.stdout, /seeded 4 users .* and 3 videos/);
  t.regex(second.stdout, /seeded 4 users .* and 3 videos/);
  t.regex(first.stdout + second.stdout, /waiting for npm run seed \(pid \d+\) to finish building/, 'one waited for the other');
  const server = await startServer({ MONGO_URL: env.MONGO_URL, DATA_DIR: dataDir });
  t.teardown(() => server.stop());
  const api = client(server.baseUrl);
  const login = await api.post('/douyin/user/login/', { username: 'seed_001', password: 'seed-password' });
  t.is(login.body.status_code, 0, 'seeded users can log in');
  const token = login.body.token as string;

  const world = async () => {
    const feed = (await api.get('/douyin/feed/', { token })).body.video_list as Array<{ id: number; comment_count: number; favorite_count: number; cover_url: string; play_url: string }>;
    const friends = (await api.get('/douyin/relation/friend/list/', { token, user_id: login.body.user_id })).body.user_list as Array<{ id: number; message: string }>;
    return { feed, friends };
  };
  const before = await world();
  t.is(before.feed.length, 3);
  t.true(before.feed.every((video) => video.comment_count === 2 && video.favorite_count > 0), JSON.stringify(before.feed));
  t.true(before.friends.length >= 1 && before.friends.every((friend) => friend.message !== ''), 'neighbours are friends who chatted');

  const cover = Buffer.from(await (await fetch(before.feed[0]!.cover_url)).arrayBuffer());
  const image = await decodeImage(cover, dataDir);
  t.deepEqual([image.width, image.height], [360, 640], 'covers are frames of real clips');
  const clip = await fetch(before.feed[0]!.play_url, { headers: { range: 'bytes=0-99' } });
  t.is(clip.status, 206);

  await seed('--videos', '3');
  const again = await world();
  t.deepEqual(again, before, 'a rerun with the same options changes nothing');
  t.is((await readdir(path.join(dataDir, 'media/videos'))).length, 3);

  await seed('--videos', '4');
  t.is((await world()).feed.length, 4, 'a larger run adds the difference');
});
