import anyTest, { type TestFn } from 'ava';
import type { NotificationView } from '../realtime/contract.js';
import type { Answer, Client } from './helpers/api.js';
import { tinyVideo } from './helpers/media.js';
import { connect, settle, type Recorder } from './helpers/sockets.js';
import { startStack, type Stack } from './helpers/stack.js';

/**
 * Issue 21, item 5, replayed against a real server with its default limits: one user toggling a like
 * (and a follow) in a loop is refused past the per-user limit, and the author hears of it once, not
 * once per toggle; whatever is withdrawn is pushed as notification:removed.
 */
const test = anyTest.serial as TestFn<Stack>;
type User = { id: number; token: string; username: string };

test.before(async (t) => {
  t.context = await startStack('notification_flood', { RATE_LIMITS: 'on' });
});
test.after.always(async (t) => {
  await t.context.stop?.();
});

const like = (api: Client, user: User, videoId: number, actionType: number) =>
  api.post('/douyin/favorite/action/', { token: user.token, video_id: videoId, action_type: actionType });
const follow = (api: Client, user: User, to: User, actionType: number) =>
  api.post('/douyin/relation/action/', { token: user.token, to_user_id: to.id, action_type: actionType });

/** 300 toggles one after the other, as the attack sent them: action, undo, action, ... */
async function toggle(send: (actionType: number) => Promise<Answer>): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (let i = 0; i < 300; i += 1) answers.push(await send(i % 2 === 0 ? 1 : 2));
  return answers;
}

const of = (live: Recorder, type: string, actorId: number) =>
  live.received('notification:new').filter((n: NotificationView) => n.type === type && n.user.id === actorId);

test('300 like toggles: refused past 60 a minute with 20005, one notification:new for the author, every withdrawal pushed, counters exact', async (t) => {
  const { api, server } = t.context;
  const [author, fan, other] = await Promise.all([api.newUser('author'), api.newUser('fan'), api.newUser('other')]);
  const videoId = await api.publish(author.token, 'liked in a loop', await tinyVideo());
  const live = await connect(server.realtimeUrl, author.token);
  t.teardown(() => live.close());

  const answers = await toggle((actionType) => like(api, fan, videoId, actionType));
  const accepted = answers.filter((answer) => answer.body.status_code === 0);
  const refused = answers.filter((answer) => answer.body.status_code !== 0);
  t.is(accepted.length, 60, 'LIKES_PER_MINUTE (60) likes and unlikes a minute');
  t.is(refused.length, 240);
  for (const { httpStatus, body } of refused) {
    t.is(httpStatus, 200);
    t.is(body.status_code, 20005);
    t.regex(body.status_msg, /^too many likes and unlikes: try again in \d+ s$/);
  }

  await live.waitFor('notification:removed', 30);
  await settle(500);
  const pushed = of(live, 'favorite', fan.id);
  t.is(pushed.length, 1, 'the author is told once, not once per like');
  const removed = live.received('notification:removed');
  t.is(removed.length, 30, 'each of the 30 unlikes withdrew a stored notification, and said so');
  t.is(removed[0]!.id, pushed[0]!.id, 'the first unlike withdrew the notification that was pushed');

  // 60 accepted toggles end on an unlike: nothing stands, and the counters agree.
  const inbox = await api.get('/douyin/notification/list/', { token: author.token });
  t.deepEqual(inbox.body.notification_list, []);
  const video = (await api.get('/douyin/publish/list/', { token: author.token, user_id: author.id })).body.video_list[0];
  t.is(video.favorite_count, 0);
  t.is((await api.get('/douyin/user/', { token: fan.token, user_id: fan.id })).body.user.favorite_count, 0);

  // The window is per actor and target, the limit per user: someone else's like is pushed at once.
  t.is((await like(api, other, videoId, 1)).body.status_code, 0);
  t.is((await live.waitFor('notification:new', 2)).length, 2);
  t.is(of(live, 'favorite', other.id).length, 1);
});

test('300 follow toggles: refused past 30 a minute with 20005, one notification:new, every withdrawal pushed, counters exact', async (t) => {
  const { api, server } = t.context;
  const [author, fan] = await Promise.all([api.newUser('followed'), api.newUser('follower')]);
  const live = await connect(server.realtimeUrl, author.token);
  t.teardown(() => live.close());

  const answers = await toggle((actionType) => follow(api, fan, author, actionType));
  const refused = answers.filter((answer) => answer.body.status_code !== 0);
  t.is(answers.length - refused.length, 30, 'FOLLOWS_PER_MINUTE (30) follows and unfollows a minute');
  t.true(refused.every(({ httpStatus, body }) => httpStatus === 200 && body.status_code === 20005 && /^too many follows and unfollows: try again in \d+ s$/.test(body.status_msg)));

  await live.waitFor('notification:removed', 15);
  await settle(500);
  t.is(of(live, 'follow', fan.id).length, 1, 'the followed user is told once');
  t.is(live.received('notification:removed').length, 15);
  t.deepEqual((await api.get('/douyin/notification/list/', { token: author.token })).body.notification_list, []);
  t.is((await api.get('/douyin/user/', { token: author.token })).body.user.follower_count, 0);
});

test('a withdrawn notification is pushed as notification:removed with its id: unlike, unfollow, a comment deleted by its author or the video\'s', async (t) => {
  const { api, server } = t.context;
  const [author, fan] = await Promise.all([api.newUser('poster'), api.newUser('visitor')]);
  const videoId = await api.publish(author.token, 'withdrawn', await tinyVideo());
  const live = await connect(server.realtimeUrl, author.token);
  t.teardown(() => live.close());
  const comment = async (text: string) =>
    (await api.post('/douyin/comment/action/', { token: fan.token, video_id: videoId, action_type: 1, comment_text: text })).body.comment.id as number;
  const deleteComment = (user: User, commentId: number) =>
    api.post('/douyin/comment/action/', { token: user.token, video_id: videoId, action_type: 2, comment_id: commentId });

  await like(api, fan, videoId, 1);
  await follow(api, fan, author, 1);
  const [retracted, moderated] = [await comment('retracted'), await comment('moderated')];
  const pushed = await live.waitFor('notification:new', 4);
  await like(api, fan, videoId, 2);
  await follow(api, fan, author, 2);
  await deleteComment(fan, retracted);
  await deleteComment(author, moderated);
  const removed = await live.waitFor('notification:removed', 4);
  t.deepEqual(removed.map((event) => event.id).sort(), pushed.map((n) => n.id).sort());
  t.deepEqual((await api.get('/douyin/notification/list/', { token: author.token })).body.notification_list, []);
  await like(api, fan, videoId, 2);
  await settle();
  t.is(live.received('notification:removed').length, 4, 'undoing what is undone already withdraws nothing');
});
