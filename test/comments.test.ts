import anyTest, { type TestFn } from 'ava';
import { tinyVideo } from './helpers/media.js';
import { startStack, type Stack } from './helpers/stack.js';

const test = anyTest as TestFn<Stack & { clip: Buffer }>;

test.before(async (t) => {
  t.context = { ...(await startStack('comments', { TIME_ZONE: 'Asia/Shanghai' })), clip: await tinyVideo() };
});

test.after.always(async (t) => {
  await t.context.stop?.();
});

async function setup(t: { context: Stack & { clip: Buffer } }) {
  const { api, clip } = t.context;
  const [author, commenter, stranger] = await Promise.all([api.newUser('author'), api.newUser('commenter'), api.newUser('stranger')]);
  const videoId = await api.publish(author.token, 'discussable', clip);
  const comment = (token: string, comment_text: string) =>
    api.post('/douyin/comment/action/', { token, video_id: videoId, action_type: 1, comment_text });
  const remove = (token: string, comment_id: number) => api.post('/douyin/comment/action/', { token, video_id: videoId, action_type: 2, comment_id });
  const list = async (token?: string) => (await api.get('/douyin/comment/list/', { token, video_id: videoId })).body;
  const commentCount = async () => (await api.get('/douyin/publish/list/', { token: author.token })).body.video_list[0].comment_count as number;
  return { api, author, commenter, stranger, videoId, comment, remove, list, commentCount };
}

const shanghaiDate = () => new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Shanghai', month: '2-digit', day: '2-digit' })
  .formatToParts(Date.now()).filter((part) => part.type !== 'literal').map((part) => part.value).join('-');

test('a comment answers in full, with create_date as mm-dd in the configured time zone', async (t) => {
  const { commenter, comment, commentCount } = await setup(t);
  const { body } = await comment(commenter.token, '好看！\nsecond line');
  t.is(body.status_code, 0);
  t.true(Number.isSafeInteger(body.comment.id));
  t.is(body.comment.content, '好看！\nsecond line');
  t.is(body.comment.create_date, shanghaiDate());
  t.like(body.comment.user, { id: commenter.id, name: commenter.username, is_follow: false });
  t.is(await commentCount(), 1);
});

test('a comment retried with its client_comment_id is stored once: the retry, concurrent or later, answers the original', async (t) => {
  const { api, commenter, stranger, videoId, list, commentCount, remove } = await setup(t);
  const keyed = (token: string, comment_text: string, client_comment_id: string) =>
    api.post('/douyin/comment/action/', { token, video_id: videoId, action_type: 1, comment_text, client_comment_id });
  const answers = await Promise.all([keyed(commenter.token, 'once', 'c-1'), keyed(commenter.token, 'once', 'c-1'), keyed(commenter.token, 'once', 'c-1')]);
  const later = await keyed(commenter.token, 'once, edited', 'c-1');
  const ids = new Set([...answers, later].map((answer) => answer.body.comment.id as number));
  t.is(ids.size, 1, 'every answer is the original');
  t.is(later.body.comment.content, 'once');
  t.is((await keyed(stranger.token, 'mine', 'c-1')).body.status_code, 0, 'keys are per author');
  t.deepEqual((await list()).comment_list.map((c: { content: string }) => c.content), ['mine', 'once']);
  t.is(await commentCount(), 2);
  await remove(commenter.token, [...ids][0]!);
  const again = await keyed(commenter.token, 'once more', 'c-1');
  t.not(again.body.comment.id, [...ids][0], 'a deleted comment frees its key');
  t.is((await keyed(commenter.token, 'x', 'not a key!')).body.status_code, 10001);
});

test('the comment list is newest first, and anyone may read it', async (t) => {
  const { commenter, stranger, comment, list } = await setup(t);
  for (const text of ['one', 'two', 'three']) await comment(commenter.token, text);
  await comment(stranger.token, 'four');
  for (const token of [stranger.token, undefined]) {
    const body = await list(token);
    t.is(body.status_code, 0);
    t.deepEqual(body.comment_list.map((c: { content: string }) => c.content), ['four', 'three', 'two', 'one']);
  }
});

test('the comment\'s author and the video\'s author may delete it; anyone else is refused', async (t) => {
  const { author, commenter, stranger, comment, remove, list, commentCount } = await setup(t);
  const first = (await comment(commenter.token, 'first')).body.comment.id as number;
  const second = (await comment(commenter.token, 'second')).body.comment.id as number;
  t.is(await commentCount(), 2);

  const refused = await remove(stranger.token, first);
  t.like(refused.body, { status_code: 40004, comment: { id: 0, content: '' } });
  t.is(await commentCount(), 2);

  const own = await remove(commenter.token, first);
  t.is(own.body.status_code, 0);
  t.is(own.body.comment.id, first);
  const byVideoAuthor = await remove(author.token, second);
  t.is(byVideoAuthor.body.status_code, 0);
  t.deepEqual((await list()).comment_list, []);
  t.is(await commentCount(), 0);

  const again = await remove(commenter.token, first);
  t.is(again.body.status_code, 30003, 'deleting a deleted comment');
  t.is(await commentCount(), 0, 'and the count stays at zero');
});

test('comment refusals: blank or long text, missing fields, unknown video or comment', async (t) => {
  const { api, commenter, videoId, comment } = await setup(t);
  const cases: Array<[Promise<{ body: Record<string, any> }>, number, RegExp]> = [
    [comment(commenter.token, '   '), 10001, /^comment_text must be 1 to 500 characters/],
    [comment(commenter.token, 'x'.repeat(501)), 10001, /^comment_text must be/],
    [comment(commenter.token, 'bell\u0007'), 10001, /^comment_text must be/],
    [comment(commenter.token, '\u200b\u3164\u200d \u2800'), 10001, /^comment_text must be 1 to 500 characters with something visible/],
    [api.post('/douyin/comment/action/', { token: commenter.token, video_id: videoId, action_type: 1, comment_text: 'half \ud83d' }, 'json'), 10001, /^comment_text must be/],
    [api.post('/douyin/comment/action/', { token: commenter.token, video_id: videoId, action_type: 1 }), 10001, /^comment_text is required/],
    [api.post('/douyin/comment/action/', { token: commenter.token, video_id: videoId, action_type: 2 }), 10001, /^comment_id is required/],
    [api.post('/douyin/comment/action/', { token: commenter.token, video_id: videoId, action_type: 2, comment_id: 99 }), 30003, /^comment not found$/],
    [api.post('/douyin/comment/action/', { token: commenter.token, video_id: 99, action_type: 1, comment_text: 'hi' }), 30002, /^video not found$/],
  ];
  for (const [pending, code, message] of cases) {
    const { body } = await pending;
    t.is(body.status_code, code, body.status_msg);
    t.regex(body.status_msg, message);
    t.deepEqual(Object.keys(body.comment).sort(), ['content', 'create_date', 'id', 'user']);
  }
  t.deepEqual((await api.get('/douyin/comment/list/', { video_id: 99 })).body, {
    status_code: 30002, status_msg: 'video not found', comment_list: [], next_cursor: 0,
  });
});

test('a comment of another video cannot be deleted through this one', async (t) => {
  const { api, clip } = t.context;
  const { author, commenter, comment } = await setup(t);
  const otherVideo = await api.publish(author.token, 'other', clip);
  const commentId = (await comment(commenter.token, 'stays')).body.comment.id;
  const { body } = await api.post('/douyin/comment/action/', { token: author.token, video_id: otherVideo, action_type: 2, comment_id: commentId });
  t.is(body.status_code, 30003);
});
