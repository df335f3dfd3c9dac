import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { PROJECT_ROOT } from '../server/paths.js';
import { exists } from '../server/store/files.js';
import { client } from './helpers/api.js';
import { removeDataDir, temporaryDir } from './helpers/dirs.js';
import { decodeImage } from './helpers/media.js';
import { lineMatching, startServer } from './helpers/server.js';
import { startTestStore } from './helpers/store.js';

const run = promisify(execFile);
const SEED = `${PROJECT_ROOT}dist/server/tools/seed.js`;

test('seed fills the store with a small world through the domain; two at once and a rerun add only what is missing', async (t) => {
  const store = await startTestStore();
  t.teardown(() => store.stop());
  const dataDir = temporaryDir('douyin-seed-');
  t.teardown(() => removeDataDir(dataDir));
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
    type Video = { id: number; comment_count: number; favorite_count: number; cover_url: string; play_url: string; hls_url: string };
    const feedOf = async () => (await api.get('/douyin/feed/', { token })).body.video_list as Video[];
    // The server makes the seeded clips' HLS renditions in the background: the world as it is once they are made.
    let feed = await feedOf();
    for (const deadline = Date.now() + 60_000; feed.some((video) => video.hls_url === '') && Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      feed = await feedOf();
    }
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

test('npm run seed while the server runs on the embedded store seeds through that store, after its demo world, adding the difference', async (t) => {
  const dataDir = temporaryDir('douyin-seed-running-');
  t.teardown(() => removeDataDir(dataDir));
  const env = { PATH: process.env.PATH, DATA_DIR: dataDir };
  const sizes = ['--users', '10', '--videos', '8', '--follows', '2', '--likes', '3', '--comments', '2', '--messages', '4'];
  const seed = () => run(process.execPath, [SEED, ...sizes], { env });
  const server = await startServer({ DATA_DIR: dataDir, DEMO_WORLD: 'on', LOG_LEVEL: 'info' });
  t.teardown(() => server.stop('SIGKILL'));
  await lineMatching(server, /demo world: the store is empty, building/);
  t.true(await exists(path.join(dataDir, 'store-address.json')), 'the server says where its store is');

  const seeded = await seed();
  t.regex(seeded.stdout, /seeding the running server's store/);
  t.regex(seeded.stdout, /waiting for the server's demo world \(pid \d+\) to finish building/);
  t.regex(seeded.stdout, /seeded 10 users .* and 8 videos/);
  t.true(server.output.some((line) => line.includes('demo world ready')), 'the demo world was done first');
  const feed = (await client(server.baseUrl).get('/douyin/feed/')).body.video_list as Array<{ title: string; comment_count: number }>;
  t.deepEqual(feed.map((video) => video.title).sort(), [1, 2, 3, 4, 5, 6, 7, 8].map((n) => `Seed clip #${n}`).sort(), 'each clip once');
  t.true(feed.every((video) => video.comment_count === 2));
  t.is(await server.stop(), 0);
  t.false(await exists(path.join(dataDir, 'store-address.json')), 'and forgets it when it stops');

  const alone = await seed();
  t.notRegex(alone.stdout, /running server/, 'without a server it starts the store itself');
  t.regex(alone.stdout, /seeded 10 users .* and 8 videos/);
});
