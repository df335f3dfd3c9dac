import anyTest, { type TestFn } from 'ava';
import { client } from './helpers/api.js';
import { startServer } from './helpers/server.js';
import { startStack, type Stack } from './helpers/stack.js';

const test = anyTest as TestFn<Stack>;

test.before(async (t) => {
  t.context = await startStack('messages');
});

test.after.always(async (t) => {
  await t.context.stop?.();
});

type User = { id: number; token: string };

function chat(api: Stack['api']) {
  return {
    send: (from: User, to: User | { id: number }, content: string, extra = {}) =>
      api.post('/douyin/message/action/', { token: from.token, to_user_id: to.id, action_type: 1, content, ...extra }),
    history: async (viewer: User, other: User, extra = {}) =>
      (await api.get('/douyin/message/chat/', { token: viewer.token, to_user_id: other.id, ...extra })).body,
  };
}

test('messages persist; the history is oldest first with create_time as a string of epoch ms', async (t) => {
  const { api } = t.context;
  const { send, history } = chat(api);
  const [a, b] = await Promise.all([api.newUser('a'), api.newUser('b')]);
  const before = Date.now();
  t.deepEqual((await send(a, b, 'first')).body, { status_code: 0, status_msg: 'success' });
  await send(b, a, 'second');
  await send(a, b, 'third');

  for (const [viewer, other] of [[a, b], [b, a]] as const) {
    const body = await history(viewer, other);
    t.is(body.status_code, 0);
    t.deepEqual(body.message_list.map((m: { content: string }) => m.content), ['first', 'second', 'third']);
  }
  const [first] = (await history(a, b)).message_list;
  t.like(first, { from_user_id: a.id, to_user_id: b.id, content: 'first' });
  t.regex(first.create_time, /^\d{13}$/);
  t.true(Number(first.create_time) >= before && Number(first.create_time) <= Date.now());
});

test('pre_msg_time returns only newer messages, whether given in ms or in seconds', async (t) => {
  const { api } = t.context;
  const { send, history } = chat(api);
  const [a, b] = await Promise.all([api.newUser('poll'), api.newUser('peer')]);
  await send(a, b, 'old');
  const seen = (await history(b, a)).message_list;
  const last = Number(seen.at(-1).create_time);
  t.deepEqual((await history(b, a, { pre_msg_time: last })).message_list, [], 'nothing new: nothing repeated');
  await send(a, b, 'new 1');
  await send(a, b, 'new 2');
  const fresh = await history(b, a, { pre_msg_time: last });
  t.deepEqual(fresh.message_list.map((m: { content: string }) => m.content), ['new 1', 'new 2']);
  const inSeconds = await history(b, a, { pre_msg_time: Math.floor(last / 1000) });
  t.true(inSeconds.message_list.some((m: { content: string }) => m.content === 'new 1'), 'seconds cover their whole second');
  t.deepEqual((await history(b, a, { pre_msg_time: 0 })).message_list.length, 3, '0 means the whole conversation');
});

test('polling never skips or repeats, even with a burst of messages and small pages', async (t) => {
  const { api } = t.context;
  const { send, history } = chat(api);
  const [a, b] = await Promise.all([api.newUser('burst'), api.newUser('reader')]);
  await Promise.all(Array.from({ length: 20 }, (_, i) => send(a, b, `m${i}`)));
  const received: string[] = [];
  let pre = 1;
  for (let i = 0; i < 20; i += 1) {
    const page = (await history(b, a, { pre_msg_time: pre, limit: 3 })).message_list;
    if (page.length === 0) break;
    received.push(...page.map((m: { content: string }) => m.content));
    pre = Number(page.at(-1).create_time);
  }
  t.is(received.length, 20);
  t.is(new Set(received).size, 20);
});

test('message refusals: oneself, a missing user, blank or long content, wrong action_type', async (t) => {
  const { api } = t.context;
  const { send } = chat(api);
  const a = await api.newUser('refuse');
  const b = await api.newUser('target');
  const cases: Array<[Promise<{ body: Record<string, any> }>, number, RegExp]> = [
    [send(a, a, 'me'), 40002, /^you cannot message yourself$/],
    [send(a, { id: 999 }, 'ghost'), 30001, /^user not found$/],
    [send(a, b, ' \n '), 10001, /^content must be 1 to 1000 characters/],
    [send(a, b, 'x'.repeat(1001)), 10001, /^content must be/],
    [send(a, b, 'hi', { action_type: 2 }), 10001, /^action_type must be 1/],
    [api.post('/douyin/message/action/', { to_user_id: b.id, action_type: 1, content: 'anon' }), 20001, /token/],
  ];
  for (const [pending, code, message] of cases) {
    const { body } = await pending;
    t.is(body.status_code, code, body.status_msg);
    t.regex(body.status_msg, message);
  }
  t.deepEqual((await api.get('/douyin/message/chat/', { token: a.token, to_user_id: 999 })).body, {
    status_code: 30001, status_msg: 'user not found', message_list: [],
  });
});

test('by default anyone may be messaged right after following them (the camp suite does this)', async (t) => {
  const { api } = t.context;
  const [a, b] = await Promise.all([api.newUser('eager'), api.newUser('stranger')]);
  await api.post('/douyin/relation/action/', { token: a.token, to_user_id: b.id, action_type: 1 });
  t.is((await chat(api).send(a, b, 'hello')).body.status_code, 0);
});

test('a retried client_msg_id sends nothing twice', async (t) => {
  const { api } = t.context;
  const { send, history } = chat(api);
  const [a, b] = await Promise.all([api.newUser('retry'), api.newUser('inbox')]);
  const answers = await Promise.all([1, 2, 3].map(() => send(a, b, 'once', { client_msg_id: 'abc-1' })));
  t.true(answers.every((answer) => answer.body.status_code === 0));
  await send(a, b, 'twice is fine without an id');
  await send(a, b, 'twice is fine without an id');
  t.deepEqual((await history(b, a)).message_list.map((m: { content: string }) => m.content), ['once', 'twice is fine without an id', 'twice is fine without an id']);
});

test('CHAT_REQUIRES_FRIENDSHIP=true refuses messages to anyone but friends', async (t) => {
  const server = await startServer({ MONGO_URL: t.context.mongoUrl, CHAT_REQUIRES_FRIENDSHIP: 'true' });
  t.teardown(() => server.stop());
  const api = client(server.baseUrl);
  const { send } = chat(api);
  const [a, b] = await Promise.all([api.newUser('strict'), api.newUser('friend')]);
  const follow = (from: User, to: User) => api.post('/douyin/relation/action/', { token: from.token, to_user_id: to.id, action_type: 1 });
  await follow(a, b);
  t.like((await send(a, b, 'too early')).body, { status_code: 40003 });
  await follow(b, a);
  t.is((await send(a, b, 'now we are friends')).body.status_code, 0);
});
