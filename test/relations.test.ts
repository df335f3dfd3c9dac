import anyTest, { type TestFn } from 'ava';
import mongoose from 'mongoose';
import { pairKey } from '../models/message.js';
import { startStack, type Stack } from './helpers/stack.js';

const test = anyTest as TestFn<Stack>;

test.before(async (t) => {
  t.context = await startStack('relations');
});

test.after.always(async (t) => {
  await t.context.stop?.();
});

type User = { id: number; token: string; username: string };
const ids = (list: Array<{ id: number }>) => list.map((user) => user.id);

function helpers(api: Stack['api']) {
  return {
    follow: (from: User, to: User, action_type = 1) => api.post('/douyin/relation/action/', { token: from.token, to_user_id: to.id, action_type }),
    info: async (viewer: User, user: User) => (await api.get('/douyin/user/', { token: viewer.token, user_id: user.id })).body.user,
    follows: async (viewer: User, user: User, extra = {}) => (await api.get('/douyin/relation/follow/list/', { token: viewer.token, user_id: user.id, ...extra })).body,
    followers: async (viewer: User, user: User) => (await api.get('/douyin/relation/follower/list/', { token: viewer.token, user_id: user.id })).body,
    friends: async (viewer: User) => (await api.get('/douyin/relation/friend/list/', { token: viewer.token, user_id: viewer.id })).body,
    send: (from: User, to: User, content: string) => api.post('/douyin/message/action/', { token: from.token, to_user_id: to.id, action_type: 1, content }),
  };
}

test('follow and unfollow move both counters by one; repeating either changes nothing', async (t) => {
  const { api } = t.context;
  const { follow, info } = helpers(api);
  const [a, b] = await Promise.all([api.newUser('a'), api.newUser('b')]);
  for (let i = 0; i < 2; i += 1) t.deepEqual((await follow(a, b)).body, { status_code: 0, status_msg: 'success' });
  t.like(await info(a, a), { follow_count: 1, follower_count: 0 });
  t.like(await info(a, b), { follow_count: 0, follower_count: 1, is_follow: true });
  for (let i = 0; i < 2; i += 1) t.is((await follow(a, b, 2)).body.status_code, 0);
  t.like(await info(a, a), { follow_count: 0 });
  t.like(await info(a, b), { follower_count: 0, is_follow: false });
});

test('following oneself or a missing user is refused, and so is a bad action_type', async (t) => {
  const { api } = t.context;
  const { follow } = helpers(api);
  const a = await api.newUser('self');
  t.like((await follow(a, a)).body, { status_code: 40001, status_msg: 'you cannot follow yourself' });
  t.like((await follow(a, { id: 4242 } as User)).body, { status_code: 30001 });
  t.like((await follow(a, a, 0)).body, { status_code: 10001, status_msg: 'action_type must be 1 or 2' });
  t.like((await api.post('/douyin/relation/action/', { to_user_id: a.id, action_type: 1 })).body, { status_code: 20001 });
});

test('follow and follower lists: most recent first, is_follow relative to the viewer (self, others)', async (t) => {
  const { api } = t.context;
  const { follow, follows, followers } = helpers(api);
  const [star, x, y, viewer] = await Promise.all([api.newUser('star'), api.newUser('x'), api.newUser('y'), api.newUser('viewer')]);
  await follow(star, x);
  await follow(star, y);
  await follow(star, viewer);
  await follow(viewer, y);
  await follow(x, star);

  const seenByViewer = await follows(viewer, star);
  t.deepEqual(ids(seenByViewer.user_list), [viewer.id, y.id, x.id]);
  t.deepEqual(seenByViewer.user_list.map((user: { is_follow: boolean }) => user.is_follow), [false, true, false], 'oneself is never followed; y is');
  const seenByStar = await follows(star, star);
  t.true(seenByStar.user_list.every((user: { is_follow: boolean }) => user.is_follow));

  const fans = await followers(viewer, star);
  t.deepEqual(ids(fans.user_list), [x.id]);
  t.is(fans.user_list[0].is_follow, false);
  t.deepEqual(ids((await followers(star, y)).user_list), [viewer.id, star.id]);

  const page = await follows(star, star, { limit: 2 });
  t.deepEqual(ids(page.user_list), [viewer.id, y.id]);
  const rest = await follows(star, star, { limit: 2, cursor: page.next_cursor });
  t.deepEqual(ids(rest.user_list), [x.id]);
  t.is(rest.next_cursor, 0);
  t.deepEqual((await api.get('/douyin/relation/follow/list/', { token: star.token, user_id: 1 })).body, {
    status_code: 30001, status_msg: 'user not found', user_list: [], next_cursor: 0,
  });
});

test('friends are mutual followers, each with the latest message and msgType both ways', async (t) => {
  const { api } = t.context;
  const { follow, friends, send } = helpers(api);
  const [me, mutual, quiet, oneWay, fan] = await Promise.all([api.newUser('me'), api.newUser('mutual'), api.newUser('quiet'), api.newUser('oneway'), api.newUser('fan')]);
  for (const other of [mutual, quiet, oneWay]) await follow(me, other);
  await follow(mutual, me);
  await follow(quiet, me);
  await follow(fan, me);

  await send(me, mutual, 'hi from me');
  let list = await friends(me);
  t.deepEqual(ids(list.user_list).sort(), [mutual.id, quiet.id].sort(), 'one-way follows in either direction are not friends');
  const withMutual = list.user_list.find((user: { id: number }) => user.id === mutual.id);
  t.like(withMutual, { message: 'hi from me', msgType: 1, is_follow: true, name: mutual.username });
  t.like(list.user_list.find((user: { id: number }) => user.id === quiet.id), { message: '', msgType: 0 });

  await send(mutual, me, 'hi back');
  list = await friends(me);
  t.like(list.user_list.find((user: { id: number }) => user.id === mutual.id), { message: 'hi back', msgType: 0 });
  const theirs = await friends(mutual);
  t.like(theirs.user_list.find((user: { id: number }) => user.id === me.id), { message: 'hi back', msgType: 1 });

  await follow(mutual, me, 2);
  t.deepEqual(ids((await friends(me)).user_list), [quiet.id], 'unfollowing ends the friendship');
  await follow(mutual, me, 1);
  t.deepEqual(ids((await friends(me)).user_list).sort(), [mutual.id, quiet.id].sort(), 'following back renews it');
});

test('messages sent at once both ways leave the newest one in the friend list, from the first message on', async (t) => {
  const { api } = t.context;
  const { follow, friends, send } = helpers(api);
  const [me, pal] = await Promise.all([api.newUser('racer'), api.newUser('pal')]);
  await follow(me, pal);
  await follow(pal, me);
  await Promise.all(Array.from({ length: 24 }, (_, i) => (i % 2 === 0 ? send(me, pal, `mine ${i}`) : send(pal, me, `theirs ${i}`))));
  const history = (await api.get('/douyin/message/chat/', { token: me.token, to_user_id: pal.id })).body.message_list as Array<{ id: number; content: string; from_user_id: number }>;
  t.is(history.length, 24);
  const newest = history.reduce((a, b) => (b.id > a.id ? b : a));
  t.like((await friends(me)).user_list[0], { id: pal.id, message: newest.content, msgType: newest.from_user_id === me.id ? 1 : 0 });
});

test('a conversation stored in the earlier shape (no latest) does not break the friend list', async (t) => {
  const { api, mongoUrl } = t.context;
  const { follow, friends, send } = helpers(api);
  const [me, old] = await Promise.all([api.newUser('legacy'), api.newUser('oldfriend')]);
  await follow(me, old);
  await follow(old, me);
  const db = await mongoose.createConnection(mongoUrl).asPromise();
  t.teardown(() => db.close());
  await db.collection<{ _id: string }>('conversations').insertOne({ _id: pairKey(me.id, old.id), lastMessageId: 1, fromUserId: old.id, content: 'from before' } as never);
  const list = await friends(me);
  t.is(list.status_code, 0);
  t.like(list.user_list[0], { id: old.id, message: '', msgType: 0 });
  await send(old, me, 'a new one');
  t.like((await friends(me)).user_list[0], { id: old.id, message: 'a new one', msgType: 0 }, 'the next message sets it');
});

test('the friend list is only one\'s own', async (t) => {
  const { api } = t.context;
  const [me, other] = await Promise.all([api.newUser('own'), api.newUser('nosy')]);
  const { body } = await api.get('/douyin/relation/friend/list/', { token: me.token, user_id: other.id });
  t.like(body, { status_code: 10001, user_list: [] });
  t.is((await api.get('/douyin/relation/friend/list/', { token: me.token })).body.status_code, 0);
});
