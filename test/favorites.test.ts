import anyTest, { type TestFn } from 'ava';
import { tinyVideo } from './helpers/media.js';
import { startStack, type Stack } from './helpers/stack.js';

const test = anyTest as TestFn<Stack & { clip: Buffer }>;

test.before(async (t) => {
  t.context = { ...(await startStack('favorites')), clip: await tinyVideo() };
});

test.after.always(async (t) => {
  await t.context.stop?.();
});

async function setup(t: { context: Stack & { clip: Buffer } }) {
  const { api, clip } = t.context;
  const [author, fan] = await Promise.all([api.newUser('author'), api.newUser('fan')]);
  const videoId = await api.publish(author.token, 'likeable', clip);
  return { api, author, fan, videoId };
}

async function counts(api: Stack['api'], token: string, authorId: number, fanId: number, videoId: number) {
  const [video, author, fan] = await Promise.all([
    api.get('/douyin/publish/list/', { token, user_id: authorId }).then((a) => a.body.video_list.find((v: { id: number }) => v.id === videoId)),
    api.get('/douyin/user/', { token, user_id: authorId }).then((a) => a.body.user),
    api.get('/douyin/user/', { token, user_id: fanId }).then((a) => a.body.user),
  ]);
  return { video: video.favorite_count, total_favorited: author.total_favorited, fan_favorite_count: fan.favorite_count, is_favorite: video.is_favorite };
}

test('like and unlike move every counter by one, and repeating either changes nothing', async (t) => {
  const { api, author, fan, videoId } = await setup(t);
  const like = (action_type: number) => api.post('/douyin/favorite/action/', { token: fan.token, video_id: videoId, action_type });

  t.deepEqual((await like(1)).body, { status_code: 0, status_msg: 'success' });
  t.deepEqual(await counts(api, fan.token, author.id, fan.id, videoId), { video: 1, total_favorited: 1, fan_favorite_count: 1, is_favorite: true });
  t.is((await like(1)).body.status_code, 0, 'liking twice succeeds');
  t.deepEqual(await counts(api, fan.token, author.id, fan.id, videoId), { video: 1, total_favorited: 1, fan_favorite_count: 1, is_favorite: true });

  t.is((await like(2)).body.status_code, 0);
  t.deepEqual(await counts(api, fan.token, author.id, fan.id, videoId), { video: 0, total_favorited: 0, fan_favorite_count: 0, is_favorite: false });
  t.is((await like(2)).body.status_code, 0, 'unliking what is not liked succeeds');
  t.deepEqual(await counts(api, fan.token, author.id, fan.id, videoId), { video: 0, total_favorited: 0, fan_favorite_count: 0, is_favorite: false });
});

test('the favorite list holds the liked videos, most recent like first, with the viewer\'s own flags', async (t) => {
  const { api, clip } = t.context;
  const [author, fan, viewer] = await Promise.all([api.newUser('author'), api.newUser('fan'), api.newUser('viewer')]);
  const first = await api.publish(author.token, 'first', clip);
  const second = await api.publish(author.token, 'second', clip);
  const third = await api.publish(author.token, 'third', clip);
  for (const videoId of [second, first]) await api.post('/douyin/favorite/action/', { token: fan.token, video_id: videoId, action_type: 1 });
  await api.post('/douyin/favorite/action/', { token: viewer.token, video_id: second, action_type: 1 });

  const { body } = await api.get('/douyin/favorite/list/', { token: viewer.token, user_id: fan.id });
  t.is(body.status_code, 0);
  t.deepEqual(body.video_list.map((video: { id: number }) => video.id), [first, second]);
  t.deepEqual(body.video_list.map((video: { is_favorite: boolean }) => video.is_favorite), [false, true], 'is_favorite is the viewer\'s');
  t.false(body.video_list.some((video: { id: number }) => video.id === third));

  const own = await api.get('/douyin/favorite/list/', { token: fan.token });
  t.true(own.body.video_list.every((video: { is_favorite: boolean }) => video.is_favorite), 'without user_id: the viewer\'s own list');

  const page = await api.get('/douyin/favorite/list/', { token: fan.token, limit: 1 });
  t.deepEqual(page.body.video_list.map((video: { id: number }) => video.id), [first]);
  const rest = await api.get('/douyin/favorite/list/', { token: fan.token, limit: 1, cursor: page.body.next_cursor });
  t.deepEqual(rest.body.video_list.map((video: { id: number }) => video.id), [second]);
  const end = await api.get('/douyin/favorite/list/', { token: fan.token, limit: 1, cursor: rest.body.next_cursor });
  t.deepEqual(end.body.video_list, []);
  t.is(end.body.next_cursor, 0);
});

test('favorite refusals: missing video, bad action_type, bad ids, no token; lists keep an empty video_list', async (t) => {
  const { api, fan, videoId } = await setup(t);
  const cases: Array<[Record<string, string | number>, number, RegExp]> = [
    [{ token: fan.token, video_id: 123, action_type: 1 }, 30002, /^video not found$/],
    [{ token: fan.token, video_id: videoId, action_type: 3 }, 10001, /^action_type must be 1 or 2$/],
    [{ token: fan.token, video_id: videoId }, 10001, /^action_type is required$/],
    [{ token: fan.token, video_id: 'abc', action_type: 1 }, 10001, /^video_id must be a positive integer$/],
    [{ video_id: videoId, action_type: 1 }, 20001, /token/],
  ];
  for (const [params, code, message] of cases) {
    const { body } = await api.post('/douyin/favorite/action/', params);
    t.is(body.status_code, code, JSON.stringify(params));
    t.regex(body.status_msg, message);
  }
  t.deepEqual((await api.get('/douyin/favorite/list/', { token: fan.token, user_id: 77 })).body, {
    status_code: 30001, status_msg: 'user not found', video_list: [], next_cursor: 0,
  });
});
