import anyTest, { type TestFn } from 'ava';
import { INBOX_SIZE } from '../models/inbox.js';
import type { NotificationView } from '../realtime/contract.js';
import type { Client } from './helpers/api.js';
import { tinyVideo } from './helpers/media.js';
import { settle, type Recorder } from './helpers/sockets.js';
import { socketOn, useTwoProcesses, type TwoProcesses } from './helpers/stack.js';

/**
 * Notifications that outlive being offline: two server processes sharing one store and one real
 * redis-server, real Socket.IO clients, every action through the public API.
 */
const test = anyTest.serial as TestFn<TwoProcesses>;
useTwoProcesses(test, 'notifications');
type User = { id: number; token: string; username: string };

const like = (api: Client, user: User, videoId: number, actionType = 1) =>
  api.post('/douyin/favorite/action/', { token: user.token, video_id: videoId, action_type: actionType });
const follow = (api: Client, user: User, to: User, actionType = 1) =>
  api.post('/douyin/relation/action/', { token: user.token, to_user_id: to.id, action_type: actionType });
async function comment(api: Client, user: User, videoId: number, text: string): Promise<number> {
  const { body } = await api.post('/douyin/comment/action/', { token: user.token, video_id: videoId, action_type: 1, comment_text: text });
  return body.comment.id as number;
}

/** Every notification of the inbox through REST, page after page (newest first), and the unread count of the first page. */
async function inbox(api: Client, user: User, limit = 100): Promise<{ list: NotificationView[]; unread: number; pages: number }> {
  const list: NotificationView[] = [];
  let cursor: number | undefined;
  let unread = -1;
  let pages = 0;
  do {
    const { body } = await api.get('/douyin/notification/list/', { token: user.token, cursor, limit });
    if (body.status_code !== 0) throw new Error(JSON.stringify(body));
    if (pages === 0) unread = body.unread_count;
    pages += 1;
    list.push(...body.notification_list);
    cursor = body.next_cursor || undefined;
  } while (cursor);
  return { list, unread, pages };
}

/** What a notification says, without the parts that depend on the time or the server asked. */
const gist = (n: NotificationView) => `${n.type} by ${n.user.id}${n.video ? ` on ${n.video.id}` : ''}${n.comment ? `: ${n.comment.content}` : ''}`;

/** Catches up from `afterId` with notification:sync until has_more is false; de-duplicates by id as clients do. */
async function catchUp(socket: Recorder, afterId = 0): Promise<{ list: NotificationView[]; unread: number; pages: number }> {
  const received = new Map<number, NotificationView>();
  let after = afterId;
  let unread = -1;
  let pages = 0;
  for (;;) {
    const page = await socket.syncNotifications({ after_id: after });
    if (page.status_code !== 0) throw new Error(JSON.stringify(page));
    pages += 1;
    unread = page.unread_count;
    for (const n of page.notification_list as NotificationView[]) received.set(n.id, n);
    after = Math.max(after, ...page.notification_list.map((n: NotificationView) => n.id));
    if (!page.has_more) break;
  }
  return { list: [...received.values()].sort((x, y) => x.id - y.id), unread, pages };
}

async function world(api: Client, count: number, prefix: string): Promise<User[]> {
  return Promise.all(Array.from({ length: count }, () => api.newUser(prefix)));
}

/** One after the other: the helper reads the new video's id back from the author's newest. */
async function publishMany(api: Client, author: User, count: number): Promise<number[]> {
  const clip = await tinyVideo();
  const ids: number[] = [];
  for (let i = 0; i < count; i += 1) ids.push(await api.publish(author.token, `video ${i}`, clip));
  return ids;
}

/** Checks until `check` passes or `seconds` have gone by; returns its last outcome. */
async function eventually<T>(check: () => Promise<T>, passes: (outcome: T) => boolean, seconds: number): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const outcome = await check();
    if (passes(outcome) || Date.now() > deadline) return outcome;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

test('a user offline the whole time finds every like, comment and follow after connecting, once, by REST and by notification:sync', async (t) => {
  const { a, b, apiA, apiB } = t.context;
  const clip = await tinyVideo();
  const [author, bystander] = await Promise.all([apiA.newUser('author'), apiA.newUser('bystander')]);
  const fans = await world(apiA, 6, 'fan');
  const videos = [await apiA.publish(author.token, 'first', clip), await apiB.publish(author.token, 'second', clip)];
  const bystanderOnA = await socketOn(t, a, bystander.token);

  const expected: string[] = [];
  for (const [i, fan] of fans.entries()) {
    const api = i % 2 ? apiA : apiB;
    await follow(api, fan, author);
    expected.push(`follow by ${fan.id}`);
    for (const videoId of videos.slice(0, 1 + (i % 2))) {
      await like(api, fan, videoId);
      expected.push(`favorite by ${fan.id} on ${videoId}`);
    }
    await comment(api, fan, videos[1]!, `nice one from ${i}`);
    expected.push(`comment by ${fan.id} on ${videos[1]}: nice one from ${i}`);
  }
  await like(apiA, author, videos[0]!);
  await comment(apiB, author, videos[0]!, 'my own video');

  const rest = await inbox(apiB, author);
  t.deepEqual(rest.list.map(gist).reverse(), expected, 'every one of them, newest first, none for acting on one\'s own video');
  t.is(rest.unread, expected.length);
  t.true(rest.list.every((n) => !n.is_read && /^\d{13}$/.test(n.create_time)));
  const liked = rest.list.find((n) => n.type === 'favorite' && n.user.id === fans[0]!.id)!;
  t.like(liked.video, { title: 'first', author: { id: author.id } });
  t.like(liked.user, { name: fans[0]!.username, is_follow: false });
  t.is(liked.comment, undefined);

  const socket = await socketOn(t, b, author.token);
  const synced = await catchUp(socket);
  t.deepEqual(synced.list.map(gist), expected, 'oldest first, each once');
  t.deepEqual(synced.list.map((n) => n.id), rest.list.map((n) => n.id).reverse(), 'the same notifications as REST');
  t.is(synced.unread, expected.length);
  const again = await catchUp(socket, synced.list.at(-1)!.id);
  t.true(again.list.every((n) => synced.list.some((seen) => seen.id === n.id)), 'asking again from the last id brings nothing new');
  t.deepEqual(bystanderOnA.events, []);
  t.deepEqual((await inbox(apiA, bystander)).list, []);
});

test('undo withdraws what the action made; doing it again stores a new one, not pushed again within the repeat window; repeats notify nothing', async (t) => {
  const { b, apiA, apiB } = t.context;
  const [author, fan] = await Promise.all([apiA.newUser('author'), apiA.newUser('fan')]);
  const videoId = await apiA.publish(author.token, 'toggled', await tinyVideo());
  const live = await socketOn(t, b, author.token);
  const gists = async () => (await inbox(apiB, author)).list.map(gist);

  await like(apiA, fan, videoId);
  const [first] = (await inbox(apiA, author)).list;
  await like(apiB, fan, videoId);
  t.deepEqual((await inbox(apiA, author)).list.map((n) => n.id), [first!.id], 'liking again changes nothing');
  await like(apiA, fan, videoId, 2);
  t.deepEqual(await gists(), [], 'unlike withdraws it');
  await like(apiB, fan, videoId, 2);
  await like(apiA, fan, videoId);
  const [second] = (await inbox(apiA, author)).list;
  t.is(gist(second!), `favorite by ${fan.id} on ${videoId}`);
  t.true(second!.id > first!.id, 'a new like is a new notification');

  await follow(apiA, fan, author);
  await follow(apiB, fan, author);
  t.deepEqual(await gists(), [`follow by ${fan.id}`, `favorite by ${fan.id} on ${videoId}`]);
  await follow(apiB, fan, author, 2);
  t.deepEqual(await gists(), [`favorite by ${fan.id} on ${videoId}`], 'unfollow withdraws it');
  await follow(apiA, fan, author);

  await comment(apiA, fan, videoId, 'kept');
  const retracted = await comment(apiA, fan, videoId, 'retracted');
  const moderated = await comment(apiB, fan, videoId, 'moderated');
  t.is((await inbox(apiA, author)).list.length, 5);
  await apiB.post('/douyin/comment/action/', { token: fan.token, video_id: videoId, action_type: 2, comment_id: retracted });
  await apiA.post('/douyin/comment/action/', { token: author.token, video_id: videoId, action_type: 2, comment_id: moderated });
  t.deepEqual(await gists(), [`comment by ${fan.id} on ${videoId}: kept`, `follow by ${fan.id}`, `favorite by ${fan.id} on ${videoId}`],
    'deleting a comment, by its author or by the video\'s, withdraws it');
  t.is((await inbox(apiA, author)).unread, 3);

  // The like and the follow made again were stored, but their actor and target were pushed minutes ago
  // (NOTIFICATION_REPEAT_WINDOW_S): pushed once each, as the comments are.
  const pushed = [
    `favorite by ${fan.id} on ${videoId}`, `follow by ${fan.id}`,
    `comment by ${fan.id} on ${videoId}: kept`, `comment by ${fan.id} on ${videoId}: retracted`, `comment by ${fan.id} on ${videoId}: moderated`,
  ];
  await live.waitFor('notification:new', pushed.length);
  await live.waitFor('notification:removed', 4);
  await settle();
  t.deepEqual(live.received('notification:new').map(gist).sort(), pushed.sort(), 'one push per actor and target, none for repeats or undos');
  t.is(live.received('notification:removed').length, 4, 'each withdrawal pushed: the unlike, the unfollow, the two deleted comments');
});

test('two devices liking and following at once store one notification each; the unread count is exact at once', async (t) => {
  const { a, b, apiA, apiB } = t.context;
  const [author, fan] = await Promise.all([apiA.newUser('author'), apiA.newUser('fan')]);
  const videos = await publishMany(apiB, author, 6);
  const fans = await world(apiB, 12, 'crowd');
  const [onA, onB] = await Promise.all([socketOn(t, a, author.token), socketOn(t, b, author.token)]);

  const doubleTaps = videos.flatMap((videoId) => [like(apiA, fan, videoId), like(apiB, fan, videoId)]);
  const crowd = fans.flatMap((other, i) => [like(i % 2 ? apiA : apiB, other, videos[0]!), follow(i % 2 ? apiB : apiA, other, author)]);
  const answers = await Promise.all([...doubleTaps, follow(apiA, fan, author), follow(apiB, fan, author), ...crowd]);
  t.true(answers.every((answer) => answer.body.status_code === 0));

  const expected = videos.length + 1 + fans.length * 2;
  const { list, unread } = await inbox(apiA, author);
  t.is(list.length, expected, 'one notification per actor and target');
  t.is(new Set(list.map(gist)).size, expected);
  t.is(unread, expected, 'the unread count is exact as soon as the requests have answered');
  for (const socket of [onA, onB]) t.is((await socket.waitFor('notification:new', expected)).length, expected);
  await settle();
  t.is(onA.received('notification:new').length, expected, 'no push for the losing repeat');

  // Marking read from both processes while new likes land: the count always equals the unread notifications.
  const middle = list[Math.floor(list.length / 2)]!.id;
  const late = await world(apiA, 4, 'late');
  const [readA, readB] = await Promise.all([
    apiA.post('/douyin/notification/read/', { token: author.token, up_to_id: middle }),
    apiB.post('/douyin/notification/read/', { token: author.token, up_to_id: middle }),
    ...late.map((other) => like(apiA, other, videos[1]!)),
  ]);
  const newer = list.filter((n) => n.id > middle).length;
  for (const read of [readA!, readB!]) t.true(read.body.unread_count >= newer && read.body.unread_count <= newer + late.length, JSON.stringify(read.body));
  const after = await inbox(apiB, author);
  t.is(after.unread, newer + late.length);
  t.is(after.unread, after.list.filter((n) => !n.is_read).length);
  t.true(after.list.every((n) => n.is_read === n.id <= middle));
});

test('likes and follows toggled from two processes at once settle to a notification exactly where the action stands', async (t) => {
  const { apiA, apiB } = t.context;
  const [author, fan] = await Promise.all([apiA.newUser('author'), apiA.newUser('fan')]);
  const videos = await publishMany(apiA, author, 8);
  const fans = [fan, ...(await world(apiA, 7, 'toggler'))];
  const toggles = (send: (api: Client, actionType: number) => Promise<unknown>) =>
    [send(apiA, 1), send(apiB, 2), send(apiB, 1), send(apiA, 2), send(apiA, 1), send(apiB, 2)].sort(() => Math.random() - 0.5);
  const truth = async () => {
    const [likes, followers] = await Promise.all([
      apiA.get('/douyin/favorite/list/', { token: fan.token }),
      apiB.get('/douyin/relation/follower/list/', { token: author.token }),
    ]);
    return [
      ...likes.body.video_list.map((video: { id: number }) => `favorite by ${fan.id} on ${video.id}`),
      ...followers.body.user_list.map((user: { id: number }) => `follow by ${user.id}`),
    ].sort();
  };
  for (let round = 0; round < 3; round += 1) {
    await Promise.all([
      ...videos.flatMap((videoId) => toggles((api, actionType) => like(api, fan, videoId, actionType))),
      ...fans.flatMap((other) => toggles((api, actionType) => follow(api, other, author, actionType))),
    ]);
    const expected = await truth();
    const notified = await eventually(async () => (await inbox(apiB, author)).list.map(gist).sort(), (found) => found.join() === expected.join(), 5);
    t.deepEqual(notified, expected, `round ${round}`);
  }
});

test('the inbox pages by cursor, newest first, with no gaps or repeats; read marks everything up to an id', async (t) => {
  const { apiA, apiB } = t.context;
  const [author, fan] = await Promise.all([apiA.newUser('author'), apiA.newUser('fan')]);
  const videoId = await apiA.publish(author.token, 'paged', await tinyVideo());
  for (let i = 0; i < 25; i += 1) await comment(i % 2 ? apiA : apiB, fan, videoId, `comment ${i}`);

  const paged = await inbox(apiA, author, 10);
  t.is(paged.pages, 3);
  t.deepEqual(paged.list.map((n) => n.comment!.content), Array.from({ length: 25 }, (_, i) => `comment ${24 - i}`));
  const whole = await apiB.get('/douyin/notification/list/', { token: author.token });
  t.is(whole.body.next_cursor, 0);
  t.deepEqual(whole.body.notification_list.map((n: NotificationView) => n.id), paged.list.map((n) => n.id));
  const last = await apiB.get('/douyin/notification/list/', { token: author.token, limit: 5, cursor: paged.list[19]!.id });
  t.deepEqual(last.body.notification_list.map((n: NotificationView) => n.id), paged.list.slice(20).map((n) => n.id));
  t.is(last.body.next_cursor, 0, 'no empty page after the last');

  const upTo = paged.list[4]!.id;
  const read = await apiB.post('/douyin/notification/read/', { token: author.token, up_to_id: upTo });
  t.deepEqual(read.body, { status_code: 0, status_msg: 'success', unread_count: 4 });
  const after = await inbox(apiA, author, 10);
  t.deepEqual(after.list.map((n) => n.is_read), paged.list.map((_, i) => i >= 4));
  t.is(after.unread, 4);
  t.is((await apiA.post('/douyin/notification/read/', { token: author.token, up_to_id: 1 })).body.unread_count, 4, 'marking less changes nothing');
  t.is((await apiA.post('/douyin/notification/read/', { token: author.token, up_to_id: paged.list[0]!.id })).body.unread_count, 0);

  const everything = await apiB.post('/douyin/notification/read/', { token: author.token, up_to_id: Number.MAX_SAFE_INTEGER });
  t.is(everything.body.unread_count, 0);
  await comment(apiA, fan, videoId, 'after everything was marked');
  const [newest] = (await inbox(apiB, author)).list;
  t.like(newest, { comment: { content: 'after everything was marked' }, is_read: false }, 'marking with an id past the newest does not mark those to come');
  t.is((await inbox(apiA, author)).unread, 1);
});

test(`an inbox keeps the newest ${INBOX_SIZE}; catch-up comes in pages of 100`, async (t) => {
  const { b, apiA, apiB } = t.context;
  const [author, fan] = await Promise.all([apiA.newUser('author'), apiA.newUser('fan')]);
  const videoId = await apiA.publish(author.token, 'popular', await tinyVideo());
  const total = INBOX_SIZE + 100; // past the length of a list read whole: its newest shelves are read
  for (let i = 0; i < total; i += 5) {
    await Promise.all([0, 1, 2, 3, 4].map((k) => comment((i + k) % 2 ? apiA : apiB, fan, videoId, `comment ${i + k}`)));
  }
  await comment(apiA, fan, videoId, 'the newest');

  const { list, unread } = await inbox(apiA, author);
  t.is(list.length, INBOX_SIZE);
  t.is(unread, INBOX_SIZE);
  t.is(list[0]!.comment!.content, 'the newest');
  t.is(new Set(list.map((n) => n.id)).size, INBOX_SIZE);
  t.false(list.some((n) => n.comment!.content === 'comment 0'), 'the oldest are left out');

  const synced = await catchUp(await socketOn(t, b, author.token));
  t.is(synced.pages, INBOX_SIZE / 100);
  t.deepEqual(synced.list.map((n) => n.id), list.map((n) => n.id).reverse());
  t.deepEqual((await inbox(apiB, author)).list.map((n) => n.id), list.map((n) => n.id), 'the other process reads the same');
});

test('a like on one process reaches the author\'s sockets on both as notification:new once stored; the inbox reads the same from both', async (t) => {
  const { a, b, apiA, apiB } = t.context;
  const [author, fan] = await Promise.all([apiA.newUser('author'), apiA.newUser('fan')]);
  const videoId = await apiA.publish(author.token, 'across', await tinyVideo());
  const [onB, onA] = await Promise.all([socketOn(t, b, author.token), socketOn(t, a, author.token)]);

  const stored = new Promise<unknown>((resolve) => {
    onB.socket.once('notification:new', (n) => resolve(apiB.get('/douyin/notification/list/', { token: author.token }).then(({ body }) => body.notification_list.map((m: NotificationView) => m.id).includes(n.id))));
  });
  await like(apiA, fan, videoId);
  const [pushed] = await onB.waitFor('notification:new');
  t.true(await stored, 'listed as soon as it is pushed');
  t.deepEqual(await onA.waitFor('notification:new'), [pushed!]);
  t.like(pushed, { type: 'favorite', is_read: false, user: { id: fan.id }, video: { id: videoId, title: 'across', favorite_count: 1 } });

  const normalized = async (api: Client, base: string) => JSON.stringify((await api.get('/douyin/notification/list/', { token: author.token })).body).replaceAll(base, 'BASE');
  const [fromA, fromB] = await Promise.all([normalized(apiA, a.baseUrl), normalized(apiB, b.baseUrl)]);
  t.is(fromA, fromB);
  t.deepEqual(JSON.parse(fromA).notification_list[0], JSON.parse(JSON.stringify(pushed).replaceAll(a.baseUrl, 'BASE')), 'the push is the listed notification');
});

test('hostile parameters and payloads get a refusal with a useful message, never a crash, and change nothing', async (t) => {
  const { a, apiA } = t.context;
  const [author, fan] = await Promise.all([apiA.newUser('author'), apiA.newUser('fan')]);
  await follow(apiA, fan, author);
  const listRefusal = { notification_list: [], next_cursor: 0, unread_count: 0 };

  const lists: Array<[Record<string, string | number | undefined>, RegExp, number]> = [
    [{}, /login required/, 20001],
    [{ token: 'garbage' }, /invalid or expired token/, 20002],
    ...['abc', '-1', '0', '1.5', '0x1f', '9'.repeat(25), '9007199254740993', '{"$gt":0}'].map((cursor): [Record<string, string>, RegExp, number] => [{ token: author.token, cursor }, /^cursor /, 10001]),
    ...['0', '101', '-1', 'ten', '99999'].map((limit): [Record<string, string>, RegExp, number] => [{ token: author.token, limit }, /^limit must be an integer from 1 to 100$/, 10001]),
  ];
  for (const [params, message, code] of lists) {
    const { httpStatus, body } = await apiA.get('/douyin/notification/list/', params);
    t.is(httpStatus, 200, JSON.stringify(params));
    t.like(body, { status_code: code, ...listRefusal }, JSON.stringify(params));
    t.regex(body.status_msg, message, JSON.stringify(params));
  }
  const bracket = await fetch(`${a.baseUrl}/douyin/notification/list/?token=${author.token}&cursor[$gt]=0`).then((r) => r.json()) as Record<string, unknown>;
  t.like(bracket, { status_code: 10001, ...listRefusal });

  const reads: Array<[Record<string, string | number | undefined>, RegExp]> = [
    [{ token: author.token }, /^up_to_id is required$/],
    ...['abc', '-3', '0', '', '2.5', '9'.repeat(30), '9007199254740993'].map((upTo): [Record<string, string>, RegExp] => [{ token: author.token, up_to_id: upTo }, /^up_to_id /]),
  ];
  for (const [params, message] of reads) {
    for (const encoding of ['query', 'form', 'json'] as const) {
      const { httpStatus, body } = await apiA.request('POST', '/douyin/notification/read/', params, encoding);
      t.is(httpStatus, 200);
      t.like(body, { status_code: 10001, unread_count: 0 }, JSON.stringify(params));
      t.regex(body.status_msg, message);
    }
  }
  const objectBody = await fetch(`${a.baseUrl}/douyin/notification/read/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: author.token, up_to_id: { $gt: 0 } }) });
  t.like(await objectBody.json(), { status_code: 10001, status_msg: 'up_to_id must be a single value, not an object or a list', unread_count: 0 });
  t.like((await apiA.get('/douyin/notification/read/', { token: author.token, up_to_id: 5 })), { httpStatus: 405, body: { status_code: 10003 } });

  const socket = await socketOn(t, a, author.token);
  const payloads: unknown[] = [null, 'text', 42, [], {}, { after_id: -1 }, { after_id: 'abc' }, { after_id: 1.5 }, { after_id: 2 ** 60 }, { after_id: { $gt: 0 } }, { after_id: [1] }, { after_id: null }];
  for (const payload of payloads) {
    const ack = await socket.syncNotifications(payload);
    t.deepEqual({ ...ack, status_msg: undefined }, { status_code: 10001, status_msg: undefined, notification_list: [], has_more: false, unread_count: 0 }, JSON.stringify(payload));
    t.regex(ack.status_msg, /^(after_id must be a notification id \(0 for everything\)|the payload must be an object)$/, JSON.stringify(payload));
  }
  (socket.socket as unknown as { emit(event: string, payload: unknown): void }).emit('notification:sync', { after_id: 0 });
  t.like(await socket.syncNotifications({ after_id: '0' }), { status_code: 0, unread_count: 1 }, 'the socket still works; ids may be strings of digits');
  t.like((await apiA.get('/douyin/notification/list/', { token: author.token })).body, { status_code: 0, unread_count: 1 }, 'nothing was marked read');
  t.is(a.child.exitCode, null);
});
