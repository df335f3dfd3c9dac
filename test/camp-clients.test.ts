import anyTest, { type TestFn } from 'ava';
import type { Encoding } from './helpers/api.js';
import { goSpelling } from './helpers/go.js';
import { tinyVideo } from './helpers/media.js';
import { connect } from './helpers/sockets.js';
import { startStack, type Stack } from './helpers/stack.js';

/**
 * Go clients (the camp's own suite among them) decode JSON numbers into float64 and send them back as
 * `fmt` writes them: every id of a million or more arrives as `2.46969684217984e+14`.
 */
type User = { id: number; token: string };
const test = anyTest.serial as TestFn<Stack & { author: User; fan: User; videoId: number }>;

test.before(async (t) => {
  const stack = await startStack('camp_clients');
  const [author, fan] = [await stack.api.newUser('author'), await stack.api.newUser('fan')];
  const videoId = await stack.api.publish(author.token, 'camp clip', await tinyVideo());
  t.context = { ...stack, author, fan, videoId };
});

test.after.always(async (t) => {
  await t.context.stop?.();
});

const encodings: Encoding[] = ['query', 'form', 'multipart', 'json'];

for (const encoding of encodings) {
  test(`like and comment with ids as Go writes them (${encoding})`, async (t) => {
    const { api, fan, videoId } = t.context;
    const video_id = goSpelling(videoId);
    t.regex(video_id, /^\d\.\d+e\+\d\d$/);
    const like = await api.post('/douyin/favorite/action/', { token: fan.token, video_id, action_type: '1.0' }, encoding);
    t.is(like.body.status_code, 0, JSON.stringify(like.body));
    const likes = await api.get('/douyin/favorite/list/', { token: fan.token, user_id: goSpelling(fan.id) });
    t.deepEqual(likes.body.video_list.map((video: { id: number }) => video.id), [videoId]);

    const added = await api.post('/douyin/comment/action/', { token: fan.token, video_id, action_type: '1e0', comment_text: '测试评论' }, encoding);
    t.is(added.body.status_code, 0, JSON.stringify(added.body));
    const commentId: number = added.body.comment.id;
    const listed = await api.get('/douyin/comment/list/', { token: fan.token, video_id, cursor: goSpelling(commentId + 1), limit: '1e1' });
    t.deepEqual(listed.body.comment_list.map((comment: { id: number }) => comment.id), [commentId]);
    const deleted = await api.post('/douyin/comment/action/', { token: fan.token, video_id, action_type: '2', comment_id: commentId.toExponential().toUpperCase() }, encoding);
    t.is(deleted.body.status_code, 0, JSON.stringify(deleted.body));

    const unliked = await api.post('/douyin/favorite/action/', { token: fan.token, video_id: `${videoId}.000`, action_type: '0.2e1' }, encoding);
    t.is(unliked.body.status_code, 0);
    t.deepEqual((await api.get('/douyin/favorite/list/', { token: fan.token, user_id: fan.id })).body.video_list, []);
  });
}

test('times in exponent spelling page the feed and the chat', async (t) => {
  const { api, author, fan, videoId } = t.context;
  const feed = await api.get('/douyin/feed/', { latest_time: goSpelling(Date.now() + 60_000) });
  t.true(feed.body.video_list.some((video: { id: number }) => video.id === videoId));
  const older = await api.get('/douyin/feed/', { latest_time: goSpelling(Math.floor(Date.now() / 1000) - 3600) });
  t.deepEqual(older.body.video_list, []);

  const sent = await api.post('/douyin/message/action/', { token: fan.token, to_user_id: goSpelling(author.id), action_type: '1.0', content: 'hi' });
  t.is(sent.body.status_code, 0);
  const since = Date.now() - 60_000;
  const chat = await api.get('/douyin/message/chat/', { token: author.token, to_user_id: goSpelling(fan.id), pre_msg_time: goSpelling(since) });
  t.deepEqual(chat.body.message_list.map((message: { content: string }) => message.content), ['hi']);
});

for (const bad of ['2.5e0', '1e400', '1e-1', 'NaN', 'Infinity', '0x10', '1_000', '0e5', '-1e3']) {
  test(`video_id=${bad} is still refused`, async (t) => {
    const { api, fan } = t.context;
    const { body } = await api.post('/douyin/favorite/action/', { token: fan.token, video_id: bad, action_type: 1 });
    t.is(body.status_code, 10001);
    t.regex(body.status_msg, /^video_id (must be a positive integer|is too large)$/);
  });
}

test('action_type 1.5 and 3e0 are refused', async (t) => {
  const { api, fan, videoId } = t.context;
  for (const action_type of ['1.5', '3e0']) {
    const { body } = await api.post('/douyin/favorite/action/', { token: fan.token, video_id: videoId, action_type });
    t.like(body, { status_code: 10001, status_msg: 'action_type must be 1 or 2' }, action_type);
  }
});

test('socket events take ids in any spelling of an integer and refuse the rest', async (t) => {
  const { server, author, fan } = t.context;
  const [sender, receiver] = await Promise.all([connect(server.realtimeUrl, fan.token), connect(server.realtimeUrl, author.token)]);
  try {
    const ack = await sender.send({ to_user_id: goSpelling(author.id), content: 'over the socket' });
    t.is(ack.status_code, 0, JSON.stringify(ack));
    await receiver.waitFor('message:new');
    const page = await receiver.sync({ to_user_id: goSpelling(fan.id), after_id: goSpelling(ack.message.id - 1) });
    t.is(page.status_code, 0);
    t.true(page.message_list.some((message: { id: number }) => message.id === ack.message.id));
    for (const to_user_id of [`${author.id}.5`, '1e400', 'NaN', 2.5]) {
      const refused = await sender.send({ to_user_id, content: 'x' });
      t.like(refused, { status_code: 10001, status_msg: 'to_user_id must be a user id' }, String(to_user_id));
    }
  } finally {
    sender.close();
    receiver.close();
  }
});
