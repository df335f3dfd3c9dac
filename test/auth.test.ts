import anyTest, { type TestFn } from 'ava';
import jwt from 'jsonwebtoken';
import { TEST_JWT_SECRET } from './helpers/server.js';
import { startStack, type Stack } from './helpers/stack.js';

const test = anyTest as TestFn<Stack & { me: { id: number; token: string } }>;

test.before(async (t) => {
  const stack = await startStack('auth');
  t.context = { ...stack, me: await stack.api.newUser() };
});

test.after.always(async (t) => {
  await t.context.stop?.();
});

async function userInfoWith(t: { context: Stack }, token: string) {
  return (await t.context.api.get('/douyin/user/', { token })).body;
}

test('a valid token is accepted in the query, the form and an Authorization header', async (t) => {
  const { api, me, server } = t.context;
  t.is((await api.get('/douyin/user/', { token: me.token })).body.user.id, me.id);
  const headers = { authorization: `Bearer ${me.token}` };
  const viaHeader = (await (await fetch(`${server.baseUrl}/douyin/user/`, { headers })).json()) as { user: { id: number } };
  t.is(viaHeader.user.id, me.id);
});

test('the token carries the user id as subject, expires, and is signed with HS256', (t) => {
  const decoded = jwt.decode(t.context.me.token, { complete: true })!;
  t.is(decoded.header.alg, 'HS256');
  const payload = decoded.payload as jwt.JwtPayload;
  t.is(payload.sub, String(t.context.me.id));
  t.true(payload.exp! > payload.iat!);
  t.is(payload.exp! - payload.iat!, 7 * 24 * 3600);
});

const refusedTokens: Array<[string, (me: { id: number; token: string }) => string]> = [
  ['garbage', () => 'not-a-token'],
  ['a truncated token', (me) => me.token.slice(0, -5)],
  ['a token signed with another secret', (me) => jwt.sign({}, 'another-secret-another-secret-12345', { subject: String(me.id), expiresIn: 600 })],
  ['an expired token', (me) => jwt.sign({ exp: Math.floor(Date.now() / 1000) - 10 }, TEST_JWT_SECRET, { subject: String(me.id) })],
  ['a token without expiry', (me) => jwt.sign({}, TEST_JWT_SECRET, { subject: String(me.id) })],
  ['an unsigned token (alg none)', (me) => jwt.sign({}, '', { algorithm: 'none', subject: String(me.id), expiresIn: 600 })],
  ['a token signed with HS512', (me) => jwt.sign({}, TEST_JWT_SECRET, { algorithm: 'HS512', subject: String(me.id), expiresIn: 600 })],
  ['a token of a user that does not exist', () => jwt.sign({}, TEST_JWT_SECRET, { subject: '12345', expiresIn: 600 })],
  ['a token whose subject is not an id', () => jwt.sign({}, TEST_JWT_SECRET, { subject: '{"$ne":1}', expiresIn: 600 })],
];

for (const [name, make] of refusedTokens) {
  test(`${name} is refused`, async (t) => {
    const body = await userInfoWith(t, make(t.context.me));
    t.is(body.status_code, 20002);
    t.is(body.status_msg, 'invalid or expired token: log in again');
    t.is(body.user.id, 0);
  });
}

test('an empty token counts as none', async (t) => {
  const body = await userInfoWith(t, '');
  t.is(body.status_code, 20001);
});

test('passwords are stored as argon2id hashes, never in clear', async (t) => {
  const mongoose = (await import('mongoose')).default;
  const connection = await mongoose.createConnection(`${t.context.store.url}auth`).asPromise();
  try {
    const stored = await connection.collection('users').findOne({ _id: t.context.me.id as never });
    t.regex(String(stored?.passwordHash), /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    t.false(JSON.stringify(stored).includes('correct-horse'));
  } finally {
    await connection.close();
  }
});
