import anyTest, { type TestFn } from 'ava';
import jwt from 'jsonwebtoken';
import type { MessageView } from '../realtime/contract.js';
import { loadUws } from '../realtime/uws-binaries.js';
import { tinyVideo } from './helpers/media.js';
import { TEST_JWT_SECRET } from './helpers/server.js';
import { connect, refusal, settle } from './helpers/sockets.js';
import { socketOn, useTwoProcesses, type TwoProcesses } from './helpers/stack.js';

/** Two server processes sharing one store and one real redis-server; real Socket.IO clients. */
const test = anyTest.serial as TestFn<TwoProcesses>;
useTwoProcesses(test, 'realtime');

test('the gateway runs on uWebSockets.js when a binary loads on this Node.js, otherwise says why not', (t) => {
  const output = t.context.a.output.join('\n');
  const loaded = loadUws(); // the test runs on the same Node.js and machine as the server
  if ('uws' in loaded) return t.true(output.includes(`"transport":"uws","uwsPackage":"${loaded.from}"`), output);
  t.true(output.includes('"transport":"node"'), output);
  t.true(output.includes(`uWebSockets.js is not used (${loaded.reason})`), output);
});

test('a missing, malformed, forged or expired token is refused in the handshake; ?token= works', async (t) => {
  const { a, apiA } = t.context;
  const user = await apiA.newUser('auth');
  const forged = jwt.sign({}, 'not-the-secret-not-the-secret-not-the', { subject: String(user.id), expiresIn: 60 });
  const expired = jwt.sign({ exp: Math.floor(Date.now() / 1000) - 5 }, TEST_JWT_SECRET, { subject: String(user.id) });
  const ghost = jwt.sign({}, TEST_JWT_SECRET, { subject: '12345', expiresIn: 60 });
  for (const auth of [{}, { token: '' }, { token: 'garbage' }, { token: forged }, { token: expired }, { token: ghost }, { token: { $ne: 1 } }]) {
    t.is(await refusal(a.realtimeUrl, auth), 'unauthorized', JSON.stringify(auth));
  }
  const viaQuery = await connect(a.realtimeUrl, user.token, { viaQuery: true });
  t.context.sockets.push(viaQuery);
  t.true(viaQuery.socket.connected);
});

test('a REST message posted on A reaches the recipient on B and the sender\'s sockets, nobody else', async (t) => {
  const { a, b, apiA } = t.context;
  const [alice, bob, carol] = await Promise.all([apiA.newUser('alice'), apiA.newUser('bob'), apiA.newUser('carol')]);
  const [bobOnB, aliceOnB, carolOnA] = await Promise.all([socketOn(t, b, bob.token), socketOn(t, b, alice.token), socketOn(t, a, carol.token)]);
  t.is((await apiA.post('/douyin/message/action/', { token: alice.token, to_user_id: bob.id, action_type: 1, content: 'over REST' })).body.status_code, 0);

  const [message] = await bobOnB.waitFor('message:new');
  t.like(message, { from_user_id: alice.id, to_user_id: bob.id, content: 'over REST' });
  t.regex(message!.create_time, /^\d{13}$/);
  t.true(Number.isSafeInteger(message!.id));
  t.deepEqual(await aliceOnB.waitFor('message:new'), [message!]);
  await settle();
  t.deepEqual(carolOnA.events, []);
  t.is(bobOnB.received('message:new').length, 1);
});

test('message:send on A persists, acknowledges, and reaches the recipient and the sender\'s other sockets on B', async (t) => {
  const { a, b, apiA } = t.context;
  const [alice, bob] = await Promise.all([apiA.newUser('alice'), apiA.newUser('bob')]);
  const [sender, senderElsewhere, bobOnB] = await Promise.all([socketOn(t, a, alice.token), socketOn(t, b, alice.token), socketOn(t, b, bob.token)]);

  const ack = await sender.send({ to_user_id: bob.id, content: 'over the socket' });
  t.is(ack.status_code, 0);
  t.like(ack.message, { from_user_id: alice.id, to_user_id: bob.id, content: 'over the socket' });
  t.deepEqual(await bobOnB.waitFor('message:new'), [ack.message]);
  t.deepEqual(await senderElsewhere.waitFor('message:new'), [ack.message]);
  await settle();
  t.deepEqual(sender.received('message:new'), [], 'the sending socket has its ack');

  const history = await apiA.get('/douyin/message/chat/', { token: bob.token, to_user_id: alice.id });
  t.deepEqual(history.body.message_list, [ack.message], 'persisted, and the same shape as REST');
});

test('every socket of a user receives its events', async (t) => {
  const { a, b, apiB } = t.context;
  const [alice, bob] = await Promise.all([apiB.newUser('alice'), apiB.newUser('bob')]);
  const bobs = await Promise.all([socketOn(t, a, bob.token), socketOn(t, a, bob.token), socketOn(t, b, bob.token)]);
  await apiB.post('/douyin/message/action/', { token: alice.token, to_user_id: bob.id, action_type: 1, content: 'to all tabs' });
  for (const socket of bobs) t.is((await socket.waitFor('message:new'))[0]!.content, 'to all tabs');
});

test('follow, like and comment events reach the user they concern and no one else', async (t) => {
  const { a, b, apiA, apiB } = t.context;
  const [author, fan, bystander] = await Promise.all([apiA.newUser('author'), apiA.newUser('fan'), apiA.newUser('bystander')]);
  const videoId = await apiA.publish(author.token, 'watch me', await tinyVideo());
  const [authorOnB, fanOnA, bystanderOnB] = await Promise.all([socketOn(t, b, author.token), socketOn(t, a, fan.token), socketOn(t, b, bystander.token)]);

  await apiA.post('/douyin/relation/action/', { token: fan.token, to_user_id: author.id, action_type: 1 });
  const [follow] = await authorOnB.waitFor('relation:follow');
  t.like(follow, { action_type: 1, is_friend: false, user: { id: fan.id, name: fan.username, is_follow: false } });
  t.regex(follow!.user.avatar, /^http:\/\/127\.0\.0\.1:\d+\/assets\/avatar\.png$/);

  await apiB.post('/douyin/relation/action/', { token: author.token, to_user_id: fan.id, action_type: 1 });
  const [followBack] = await fanOnA.waitFor('relation:follow');
  t.like(followBack, { action_type: 1, is_friend: true, user: { id: author.id, is_follow: true } });

  await apiA.post('/douyin/favorite/action/', { token: fan.token, video_id: videoId, action_type: 1 });
  const [like] = await authorOnB.waitFor('favorite:new');
  t.like(like, { video_id: videoId, favorite_count: 1, user: { id: fan.id, is_follow: true } });

  await apiA.post('/douyin/comment/action/', { token: fan.token, video_id: videoId, action_type: 1, comment_text: 'great' });
  const [comment] = await authorOnB.waitFor('comment:new');
  t.like(comment, { video_id: videoId, comment_count: 1, comment: { content: 'great', user: { id: fan.id } } });
  t.regex(comment!.comment.create_date, /^\d{2}-\d{2}$/);

  await apiA.post('/douyin/relation/action/', { token: fan.token, to_user_id: author.id, action_type: 2 });
  t.like((await authorOnB.waitFor('relation:follow', 2))[1], { action_type: 2, is_friend: false });

  // Liking or commenting on one's own video notifies nobody.
  await apiA.post('/douyin/favorite/action/', { token: author.token, video_id: videoId, action_type: 1 });
  await apiA.post('/douyin/comment/action/', { token: author.token, video_id: videoId, action_type: 1, comment_text: 'mine' });
  await settle();
  t.is(authorOnB.received('favorite:new').length, 1);
  t.is(authorOnB.received('comment:new').length, 1);
  t.deepEqual(bystanderOnB.events, []);
});

test('a retried client_msg_id returns the original message and sends nothing twice', async (t) => {
  const { a, b, apiA } = t.context;
  const [alice, bob] = await Promise.all([apiA.newUser('alice'), apiA.newUser('bob')]);
  const [sender, bobOnB] = await Promise.all([socketOn(t, a, alice.token), socketOn(t, b, bob.token)]);
  const first = await sender.send({ to_user_id: bob.id, content: 'exactly once', client_msg_id: 'm-1' });
  const retry = await sender.send({ to_user_id: bob.id, content: 'exactly once', client_msg_id: 'm-1' });
  t.is(first.status_code, 0);
  t.deepEqual(retry, first);
  await bobOnB.waitFor('message:new');
  await settle();
  t.is(bobOnB.received('message:new').length, 1);
  const history = await apiA.get('/douyin/message/chat/', { token: alice.token, to_user_id: bob.id });
  t.is(history.body.message_list.length, 1);
});

test('a client offline while messages arrive gets them all from message:sync, in bounded pages', async (t) => {
  const { a, b, apiA } = t.context;
  const [alice, bob, carol] = await Promise.all([apiA.newUser('alice'), apiA.newUser('bob'), apiA.newUser('carol')]);
  const bobOnB = await socketOn(t, b, bob.token);
  await apiA.post('/douyin/message/action/', { token: alice.token, to_user_id: bob.id, action_type: 1, content: 'seen live' });
  const [seen] = await bobOnB.waitFor('message:new');
  bobOnB.close();

  const sent: string[] = [];
  for (let i = 0; i < 130; i += 1) {
    const from = i % 2 ? alice : carol;
    sent.push(`missed ${i}`);
    await apiA.post('/douyin/message/action/', { token: from.token, to_user_id: bob.id, action_type: 1, content: `missed ${i}` });
  }

  const back = await socketOn(t, a, bob.token);
  const received = new Map<number, MessageView>();
  let after = seen!.id;
  let pages = 0;
  for (;;) {
    const page = await back.sync({ after_id: after });
    t.is(page.status_code, 0);
    pages += 1;
    for (const message of page.message_list as MessageView[]) received.set(message.id, message);
    after = Math.max(after, ...page.message_list.map((message: MessageView) => message.id));
    if (!page.has_more) break;
  }
  t.is(pages, 2, 'pages of at most 100');
  t.deepEqual([...received.values()].filter((m) => m.id !== seen!.id).map((m) => m.content), sent, 'all of them, oldest first');

  const onlyCarol = await back.sync({ after_id: seen!.id, to_user_id: carol.id });
  t.true(onlyCarol.message_list.every((m: MessageView) => m.from_user_id === carol.id));
  t.is(onlyCarol.message_list.length, 65);
});

test('malformed events are refused in the ack; a missing ack or a huge payload hurts nobody else', async (t) => {
  const { a, apiA } = t.context;
  const [alice, bob] = await Promise.all([apiA.newUser('alice'), apiA.newUser('bob')]);
  const [sender, bobOnA, hostile] = await Promise.all([socketOn(t, a, alice.token), socketOn(t, a, bob.token), socketOn(t, a, alice.token)]);
  const cases: Array<[unknown, RegExp, number]> = [
    [null, /payload must be an object/, 10001],
    ['text', /payload must be an object/, 10001],
    [{ to_user_id: 'one', content: 'x' }, /^to_user_id must be a user id$/, 10001],
    [{ to_user_id: -4, content: 'x' }, /^to_user_id must be a user id$/, 10001],
    [{ to_user_id: { $ne: 0 }, content: 'x' }, /^to_user_id must be a user id$/, 10001],
    [{ to_user_id: bob.id, content: '' }, /^content must be/, 10001],
    [{ to_user_id: bob.id, content: 'x'.repeat(1001) }, /^content must be/, 10001],
    [{ to_user_id: bob.id, content: 'x', client_msg_id: 'a b' }, /^client_msg_id must be/, 10001],
    [{ to_user_id: alice.id, content: 'me' }, /yourself/, 40002],
    [{ to_user_id: 987654, content: 'ghost' }, /^user not found$/, 30001],
  ];
  for (const [payload, message, code] of cases) {
    const ack = await sender.send(payload);
    t.is(ack.status_code, code, JSON.stringify(payload));
    t.regex(ack.status_msg, message);
    t.false('message' in ack);
  }
  const badSync = await sender.sync({ after_id: -1 });
  t.like(badSync, { status_code: 10001, message_list: [], has_more: false });

  hostile.socket.emit('message:send', { to_user_id: bob.id, content: 'no ack' } as never, undefined as never);
  const dropped = new Promise((resolve) => hostile.socket.once('disconnect', resolve));
  hostile.socket.emit('message:send', { to_user_id: bob.id, content: 'x'.repeat(100_000) } as never, () => undefined);
  await dropped;

  const ack = await sender.send({ to_user_id: bob.id, content: 'still fine' });
  t.is(ack.status_code, 0);
  const received = await bobOnA.waitFor('message:new');
  t.deepEqual(received.map((m) => m.content), ['still fine'], 'the event without an ack sent nothing');
});

test('a flood of events is refused past the budget and a socket that keeps flooding is dropped', async (t) => {
  const { a, apiA } = t.context;
  const [alice, bob] = await Promise.all([apiA.newUser('flood'), apiA.newUser('calm')]);
  const [flooder, calm] = await Promise.all([socketOn(t, a, alice.token), socketOn(t, a, bob.token)]);
  const disconnected = new Promise((resolve) => flooder.socket.once('disconnect', resolve));
  const acks = await Promise.allSettled(Array.from({ length: 150 }, () => flooder.sync({ after_id: 0 })));
  const codes = acks.flatMap((ack) => (ack.status === 'fulfilled' ? [ack.value.status_code] : []));
  t.true(codes.filter((code) => code === 0).length <= 21, `${codes.filter((code) => code === 0).length} served`);
  t.true(codes.includes(20005));
  await disconnected;
  t.is((await calm.sync({ after_id: 0 })).status_code, 0, 'others notice nothing');
});

test('events without an acknowledgement count against the budget too: a socket flooding them is dropped', async (t) => {
  const { a, apiA } = t.context;
  const flooder = await socketOn(t, a, (await apiA.newUser('silent')).token);
  const disconnected = new Promise((resolve) => flooder.socket.once('disconnect', resolve));
  const withoutAck = flooder.socket as unknown as { emit(event: string, payload: unknown): void };
  for (let i = 0; i < 500; i += 1) withoutAck.emit('message:sync', { after_id: 0 });
  const outcome = await Promise.race([disconnected.then(() => 'dropped'), new Promise((resolve) => setTimeout(() => resolve('still connected'), 5_000))]);
  t.is(outcome, 'dropped');
});
