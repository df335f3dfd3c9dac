import { connect } from 'node:net';
import anyTest, { type TestFn } from 'ava';
import { startStack, type Stack } from './helpers/stack.js';

const test = anyTest as TestFn<Stack & { me: { id: number; token: string; username: string } }>;

test.before(async (t) => {
  const stack = await startStack('params');
  t.context = { ...stack, me: await stack.api.newUser() };
});

test.after.always(async (t) => {
  await t.context.stop?.();
});

/** Sends a raw request and parses the envelope. */
async function raw(t: { context: Stack }, path: string, init: RequestInit = {}) {
  const response = await fetch(t.context.server.baseUrl + path, init);
  return { httpStatus: response.status, body: (await response.json()) as Record<string, any> };
}

const badUserIds = ['abc', '-5', '0', '1.5', '1e400', '1.5e0', '1_000', 'NaN', '0x10', '1234567890123456789012345', '9007199254740993', ' 12', ''];
for (const value of badUserIds) {
  test(`user_id=${JSON.stringify(value)} is refused as a parameter error`, async (t) => {
    const { api, me } = t.context;
    const { httpStatus, body } = await api.get('/douyin/user/', { token: me.token, user_id: value });
    t.is(httpStatus, 200);
    t.is(body.status_code, 10001);
    t.regex(body.status_msg, /^user_id (must be a positive integer|is too large)$/);
    t.is(body.user.id, 0);
  });
}

test('operator syntax in the query string is refused', async (t) => {
  const { me } = t.context;
  for (const query of ['user_id[$ne]=1', 'user_id[$gt]=0', 'user_id[]=1']) {
    const { body } = await raw(t, `/douyin/user/?token=${me.token}&${query}`);
    t.is(body.status_code, 10001, query);
    t.regex(body.status_msg, /bracketed parameter names are not accepted/);
  }
});

test('operator objects in a form body are refused and never reach the database', async (t) => {
  const { me } = t.context;
  const form = new URLSearchParams({ 'username[$ne]': 'nobody', password: 'correct-horse' });
  const { body } = await raw(t, '/douyin/user/login/', { method: 'POST', body: form });
  t.is(body.status_code, 10001);
  t.is(body.token, '');
  const nested = new URLSearchParams({ 'username[$regex]': `^${me.username}`, password: 'correct-horse' });
  t.is((await raw(t, '/douyin/user/login/', { method: 'POST', body: nested })).body.status_code, 10001);
});

test('operator objects and lists in a JSON body are refused', async (t) => {
  const { me } = t.context;
  for (const username of [{ $gt: '' }, [me.username], null]) {
    const { body } = await raw(t, '/douyin/user/login/', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: 'correct-horse' }),
    });
    t.is(body.status_code, 10001, JSON.stringify(username));
    t.is(body.token, '');
  }
});

test('a parameter given in the query and the form with the same value is fine; different values are refused', async (t) => {
  const { me } = t.context;
  const same = await raw(t, `/douyin/user/login/?username=${me.username}`, {
    method: 'POST',
    body: new URLSearchParams({ username: me.username, password: 'correct-horse' }),
  });
  t.is(same.body.status_code, 0);
  t.is(same.body.user_id, me.id);
  const different = await raw(t, `/douyin/user/login/?username=someone_else`, {
    method: 'POST',
    body: new URLSearchParams({ username: me.username, password: 'correct-horse' }),
  });
  t.is(different.body.status_code, 10001);
  t.is(different.body.status_msg, 'username is given more than once with different values');
});

test('malformed and oversized bodies are refused with the envelope', async (t) => {
  const json = { method: 'POST', headers: { 'content-type': 'application/json' } };
  const malformed = await raw(t, '/douyin/user/login/', { ...json, body: '{"username":' });
  t.is(malformed.httpStatus, 400);
  t.like(malformed.body, { status_code: 10004, user_id: 0, token: '' });
  const notAnObject = await raw(t, '/douyin/user/login/', { ...json, body: '["a"]' });
  t.like(notAnObject.body, { status_code: 10004, user_id: 0, token: '' });
  const huge = await raw(t, '/douyin/user/login/', { method: 'POST', body: new URLSearchParams({ username: 'x'.repeat(200_000) }) });
  t.is(huge.httpStatus, 413);
  t.like(huge.body, { status_code: 10004, status_msg: 'request body too large', token: '' });
});

test('headers over 16 KiB and garbage that is not HTTP are answered with the envelope, not a bare status line', async (t) => {
  const answer = (request: string) => new Promise<string>((resolve) => {
    const socket = connect(Number(new URL(t.context.server.baseUrl).port), '127.0.0.1');
    let text = '';
    socket.on('data', (chunk) => (text += chunk));
    socket.on('close', () => resolve(text));
    socket.on('error', () => undefined);
    socket.write(request);
  });
  const huge = await answer(`GET /douyin/feed/ HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
  t.regex(huge, /^HTTP\/1\.1 431 /);
  t.true(huge.endsWith('{"status_code":10004,"status_msg":"request headers too large: at most 16 KiB"}'), huge);
  const garbage = await answer('NOT HTTP AT ALL\r\n\r\n');
  t.regex(garbage, /^HTTP\/1\.1 400 [\s\S]*"status_code":10004/);
});

test('a file sent to an endpoint that takes none is refused', async (t) => {
  const form = new FormData();
  form.append('username', t.context.me.username);
  form.append('password', 'correct-horse');
  form.append('data', new Blob(['hello']), 'hello.txt');
  const { body } = await raw(t, '/douyin/user/login/', { method: 'POST', body: form });
  t.like(body, { status_code: 10004, status_msg: 'this endpoint accepts no file upload', token: '' });
});

test('unknown routes under /douyin/ answer with the envelope', async (t) => {
  for (const path of ['/douyin/nope/', '/douyin/', '/douyin', '/douyin/user/register/extra/']) {
    const { httpStatus, body } = await raw(t, path);
    t.is(httpStatus, 404, path);
    t.deepEqual(body, { status_code: 10002, status_msg: 'unknown endpoint' });
  }
});

test('a wrong method answers with the envelope', async (t) => {
  for (const [method, path] of [['GET', '/douyin/user/register/'], ['POST', '/douyin/user/'], ['PUT', '/douyin/user/login/'], ['PATCH', '/douyin/user/']]) {
    const { httpStatus, body } = await raw(t, path!, { method });
    t.is(httpStatus, 405, `${method} ${path}`);
    t.is(body.status_code, 10003);
    t.is(body.status_msg, 'method not allowed');
  }
});

test('extra parameters the app sends are ignored', async (t) => {
  const { api, me } = t.context;
  const { body } = await api.get('/douyin/user/', { token: me.token, user_id: me.id, device: 'android', latest_time: 0 });
  t.is(body.status_code, 0);
});
