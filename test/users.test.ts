import anyTest, { type TestFn } from 'ava';
import { startStack, type Stack } from './helpers/stack.js';

const test = anyTest as TestFn<Stack>;

test.before(async (t) => {
  t.context = await startStack('users');
});

test.after.always(async (t) => {
  await t.context.stop?.();
});

const USER_FIELDS = [
  'id', 'name', 'follow_count', 'follower_count', 'is_follow', 'avatar', 'background_image',
  'signature', 'total_favorited', 'work_count', 'favorite_count',
].sort();

const unique = (prefix: string) => `${prefix}${Math.random().toString(36).slice(2, 10)}`;

test('register answers a safe integer id and a token, then login answers the same id', async (t) => {
  const { api } = t.context;
  const username = unique('reg');
  const registered = await api.post('/douyin/user/register/', { username, password: 'secret-1' });
  t.is(registered.httpStatus, 200);
  t.is(registered.body.status_code, 0);
  t.is(registered.body.status_msg, 'success');
  t.true(Number.isSafeInteger(registered.body.user_id) && registered.body.user_id > 0);
  t.regex(registered.body.token, /^[\w-]+\.[\w-]+\.[\w-]+$/);

  const loggedIn = await api.post('/douyin/user/login/', { username, password: 'secret-1' });
  t.is(loggedIn.body.status_code, 0);
  t.is(loggedIn.body.user_id, registered.body.user_id);
  t.truthy(loggedIn.body.token);
});

for (const encoding of ['query', 'form', 'multipart', 'json'] as const) {
  test(`parameters are read from the ${encoding}`, async (t) => {
    const { api } = t.context;
    const username = unique('enc');
    const registered = await api.post('/douyin/user/register/', { username, password: 'secret-1' }, encoding);
    t.is(registered.body.status_code, 0, JSON.stringify(registered.body));
    const loggedIn = await api.post('/douyin/user/login/', { username, password: 'secret-1' }, encoding);
    t.is(loggedIn.body.user_id, registered.body.user_id);
  });
}

test('user info: no user_id means the token owner, with every field of a complete User', async (t) => {
  const { api } = t.context;
  const me = await api.newUser();
  const { body } = await api.get('/douyin/user/', { token: me.token });
  t.is(body.status_code, 0);
  t.deepEqual(Object.keys(body.user).sort(), USER_FIELDS);
  t.like(body.user, {
    id: me.id, name: me.username, follow_count: 0, follower_count: 0, is_follow: false,
    signature: '', total_favorited: 0, work_count: 0, favorite_count: 0,
  });
  t.regex(body.user.avatar, /^http:\/\/127\.0\.0\.1:\d+\/assets\/avatar\.png$/);
  const avatar = await fetch(body.user.avatar);
  t.is(avatar.headers.get('content-type'), 'image/png');
});

test('user info of another user, with and without the trailing slash', async (t) => {
  const { api } = t.context;
  const [me, other] = await Promise.all([api.newUser(), api.newUser()]);
  for (const path of ['/douyin/user/', '/douyin/user']) {
    const { body } = await api.get(path, { token: me.token, user_id: other.id });
    t.is(body.status_code, 0);
    t.like(body.user, { id: other.id, name: other.username, is_follow: false });
  }
});

test('user info of a missing user is refused with a zero-valued user', async (t) => {
  const { api } = t.context;
  const me = await api.newUser();
  const { httpStatus, body } = await api.get('/douyin/user/', { token: me.token, user_id: 999 });
  t.is(httpStatus, 200);
  t.is(body.status_code, 30001);
  t.is(body.status_msg, 'user not found');
  t.deepEqual(Object.keys(body.user).sort(), USER_FIELDS);
  t.is(body.user.id, 0);
});

test('user info without a token is refused', async (t) => {
  const { api } = t.context;
  const other = await api.newUser();
  const { body } = await api.get('/douyin/user/', { user_id: other.id });
  t.is(body.status_code, 20001);
  t.is(body.user.id, 0);
});

test('a taken username is refused with user_id 0 and an empty token, also in another letter case', async (t) => {
  const { api } = t.context;
  const username = unique('Dup');
  t.is((await api.post('/douyin/user/register/', { username, password: 'secret-1' })).body.status_code, 0);
  for (const again of [username, username.toLowerCase(), username.toUpperCase()]) {
    const { body } = await api.post('/douyin/user/register/', { username: again, password: 'other-secret' });
    t.deepEqual(body, { status_code: 20004, status_msg: 'username already taken', user_id: 0, token: '' });
  }
});

test('ten concurrent registrations of one name: exactly one wins', async (t) => {
  const { api } = t.context;
  const username = unique('race');
  const answers = await Promise.all(
    Array.from({ length: 10 }, () => api.post('/douyin/user/register/', { username, password: 'secret-1' })),
  );
  const codes = answers.map((answer) => answer.body.status_code);
  t.is(codes.filter((code) => code === 0).length, 1, JSON.stringify(codes));
  t.is(codes.filter((code) => code === 20004).length, 9, JSON.stringify(codes));
});

test('a wrong password and an unknown username get the same refusal', async (t) => {
  const { api } = t.context;
  const me = await api.newUser();
  const wrongPassword = await api.post('/douyin/user/login/', { username: me.username, password: 'not-the-password' });
  const unknownUser = await api.post('/douyin/user/login/', { username: unique('ghost'), password: 'correct-horse' });
  const expected = { status_code: 20003, status_msg: 'wrong username or password', user_id: 0, token: '' };
  t.deepEqual(wrongPassword.body, expected);
  t.deepEqual(unknownUser.body, expected);
});

test('usernames and passwords outside the rules are refused', async (t) => {
  const { api } = t.context;
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ password: 'secret-1' }, /^username is required$/],
    [{ username: unique('u') }, /^password is required$/],
    [{ username: '', password: 'secret-1' }, /^username must be/],
    [{ username: 'a'.repeat(33), password: 'secret-1' }, /^username must be/],
    [{ username: 'has space', password: 'secret-1' }, /^username must be/],
    [{ username: 'semi;colon', password: 'secret-1' }, /^username must be/],
    [{ username: unique('u'), password: '12345' }, /^password must be/],
    [{ username: unique('u'), password: 'x'.repeat(129) }, /^password must be/],
    [{ username: unique('u'), password: 'tab\there' }, /^password must be/],
  ];
  for (const [params, message] of cases) {
    const { body } = await api.post('/douyin/user/register/', params);
    t.is(body.status_code, 10001, JSON.stringify(params));
    t.regex(body.status_msg, message);
    t.is(body.user_id, 0);
    t.is(body.token, '');
  }
});

test('unicode letters are welcome in usernames', async (t) => {
  const { api } = t.context;
  const username = `抖音用户${Math.floor(Math.random() * 1e6)}`;
  const { body } = await api.post('/douyin/user/register/', { username, password: 'secret-1' });
  t.is(body.status_code, 0);
  const info = await api.get('/douyin/user/', { token: body.token });
  t.is(info.body.user.name, username);
});
