import test, { type ExecutionContext } from 'ava';
import { loadConfig } from '../server/config.js';
import { wantsDemoWorld } from '../server/world/demo.js';
import { client, type Client } from './helpers/api.js';
import { removeDataDir, temporaryDir } from './helpers/dirs.js';
import { decodeImage } from './helpers/media.js';
import { lineMatching, startServer, TEST_JWT_SECRET } from './helpers/server.js';
import { settle } from './helpers/sockets.js';

/** The demo world: on a first start with an empty embedded store in development, and only then. */
const BUILDING = /demo world: the store is empty, building a small world in the background \(DEMO_WORLD=off turns this off\); then log in as seed_001 with password seed-password/;
const READY = /demo world ready in [\d.]+ s: 8 users, 6 videos; open http:\/\/127\.0\.0\.1:\d+\/ and log in as seed_001 with password seed-password/;
const ANY_DEMO = /demo world: (the store is empty|finishing)|demo world ready/;

test('only the embedded store in development gets a demo world, and DEMO_WORLD=off turns it off', (t) => {
  t.true(wantsDemoWorld(loadConfig({})));
  t.false(wantsDemoWorld(loadConfig({ DEMO_WORLD: 'off' })));
  t.false(wantsDemoWorld(loadConfig({ NODE_ENV: 'production', JWT_SECRET: TEST_JWT_SECRET })));
  t.false(wantsDemoWorld(loadConfig({ NODE_ENV: 'test' })));
  t.false(wantsDemoWorld(loadConfig({ MONGO_URL: 'mongodb://db:27017/douyin' })));
});

test.serial('a first start on an empty embedded store builds a demo world in the background, and a restart leaves it be', async (t) => {
  const dataDir = temporaryDir('douyin-demo-');
  t.teardown(() => removeDataDir(dataDir));
  const started = Date.now();
  const first = await startServer({ DATA_DIR: dataDir, DEMO_WORLD: 'on', LOG_LEVEL: 'info' });
  t.teardown(() => first.stop('SIGKILL'));
  const api = client(first.baseUrl);
  t.is((await api.get('/douyin/feed/')).body.status_code, 0);
  t.false(first.output.some((line) => READY.test(line)), 'the server answers while the world is being built');
  await lineMatching(first, BUILDING);
  await videosInFeed(api);
  const seconds = (Date.now() - started) / 1000;
  t.log(`the anonymous feed had a video ${seconds.toFixed(1)} s after the start`);
  t.true(seconds < 30);
  await lineMatching(first, READY, 120_000);
  await checkDemoWorld(t, api, dataDir);
  t.is(await first.stop(), 0);

  const second = await startServer({ DATA_DIR: dataDir, DEMO_WORLD: 'on', LOG_LEVEL: 'debug' });
  t.teardown(() => second.stop('SIGKILL'));
  await lineMatching(second, /demo world: none needed, the store has users/);
  t.false(second.output.some((line) => ANY_DEMO.test(line)));
  t.is((await client(second.baseUrl).get('/douyin/feed/')).body.video_list.length, 6);
});

test.serial('a start stopped while building the demo world leaves the rest to the next start, which finishes it without doubles', async (t) => {
  const dataDir = temporaryDir('douyin-demo-');
  t.teardown(() => removeDataDir(dataDir));
  const first = await startServer({ DATA_DIR: dataDir, DEMO_WORLD: 'on', LOG_LEVEL: 'info' });
  t.teardown(() => first.stop('SIGKILL'));
  await lineMatching(first, BUILDING);
  await videosInFeed(client(first.baseUrl));
  t.is(await first.stop(), 0);
  t.true(first.output.some((line) => line.includes('demo world: interrupted by the shutdown; the next start finishes it')), first.output.join('\n'));
  t.false(first.output.some((line) => READY.test(line)));

  const second = await startServer({ DATA_DIR: dataDir, DEMO_WORLD: 'on', LOG_LEVEL: 'info' });
  t.teardown(() => second.stop('SIGKILL'));
  await lineMatching(second, /demo world: finishing the one an earlier start began/);
  await lineMatching(second, READY, 120_000);
  await checkDemoWorld(t, client(second.baseUrl), dataDir);
});

test.serial('no demo world for a production server, nor for a test server (DEMO_WORLD=off unless a test asks), on an empty embedded store', async (t) => {
  const servers = await Promise.all([startServer({ NODE_ENV: 'production', DEMO_WORLD: 'on', LOG_LEVEL: 'debug' }), startServer({ LOG_LEVEL: 'debug' })]);
  t.teardown(() => Promise.all(servers.map((server) => server.stop('SIGKILL'))));
  await settle(3_000); // the demo world would have started by now: its first line comes within a second
  for (const server of servers) {
    t.false(server.output.some((line) => line.includes('demo world')), server.output.join('\n'));
    t.deepEqual((await client(server.baseUrl).get('/douyin/feed/')).body.video_list, []);
  }
});

/** The anonymous feed, once it has videos. */
async function videosInFeed(api: Client): Promise<Array<Record<string, any>>> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { body } = await api.get('/douyin/feed/');
    if (body.video_list.length > 0) return body.video_list as Array<Record<string, any>>;
    if (Date.now() > deadline) throw new Error('the feed stayed empty');
    await settle(200);
  }
}

/** The whole demo world, each part exactly once, as the demo login sees it. */
async function checkDemoWorld(t: ExecutionContext, api: Client, dataDir: string): Promise<void> {
  const login = await api.post('/douyin/user/login/', { username: 'seed_001', password: 'seed-password' });
  t.is(login.body.status_code, 0, 'the demo login works');
  const token = login.body.token as string;
  t.is((await api.post('/douyin/user/login/', { username: 'seed_008', password: 'seed-password' })).body.status_code, 0);
  t.not((await api.post('/douyin/user/login/', { username: 'seed_009', password: 'seed-password' })).body.status_code, 0, 'eight users');

  const feed = (await api.get('/douyin/feed/', { token })).body.video_list as Array<{ title: string; comment_count: number; favorite_count: number; cover_url: string }>;
  t.deepEqual(feed.map((video) => video.title).sort(), [1, 2, 3, 4, 5, 6].map((n) => `Seed clip #${n}`));
  t.true(feed.every((video) => video.comment_count === 2 && video.favorite_count > 0), JSON.stringify(feed));
  t.is(feed.reduce((sum, video) => sum + video.favorite_count, 0), 8 * 3, 'each user likes three videos');
  const cover = await decodeImage(Buffer.from(await (await fetch(feed[0]!.cover_url)).arrayBuffer()), dataDir);
  t.deepEqual([cover.width, cover.height], [360, 640], 'covers are frames of real clips');

  const friends = (await api.get('/douyin/relation/friend/list/', { token, user_id: login.body.user_id })).body.user_list as Array<{ id: number; name: string }>;
  t.deepEqual(friends.map((friend) => friend.name).sort(), ['seed_002', 'seed_003', 'seed_007', 'seed_008']);
  const seed002 = friends.find((friend) => friend.name === 'seed_002')!;
  const chat = (await api.get('/douyin/message/chat/', { token, to_user_id: seed002.id })).body.message_list as Array<{ content: string }>;
  t.deepEqual(chat.map((message) => message.content), [1, 2, 3, 4].map((n) => `Hello #${n} from seed`));

  const inbox = (await api.get('/douyin/notification/list/', { token, limit: 50 })).body.notification_list as Array<{ type: string }>;
  const count = (type: string) => inbox.filter((notification) => notification.type === type).length;
  t.deepEqual([count('follow'), count('favorite'), count('comment')], [4, 3, 2], 'follows, likes and comments reached the demo login');
}
