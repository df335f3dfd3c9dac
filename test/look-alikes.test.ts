import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import mongoose from 'mongoose';
import type { RunningStore } from '../server/store/embedded.js';
import { client, type Client } from './helpers/api.js';
import { startServer, type ServerProcess } from './helpers/server.js';
import { startTestStore } from './helpers/store.js';

/**
 * Issue 21, item 9, replayed against real servers on a real store: a username whose confusable
 * skeleton (Unicode TR39) is a taken one's is refused like a taken name, also when two processes
 * register look-alikes at the same instant, and also against users stored before skeletons were kept.
 */
const test = anyTest.serial as TestFn<{ store: RunningStore }>;
test.before(async (t) => {
  t.context = { store: await startTestStore() };
});
test.after.always(async (t) => {
  await t.context.store?.stop();
});

const register = (api: Client, username: string) => api.post('/douyin/user/register/', { username, password: 'correct-horse' });
const login = (api: Client, username: string) => api.post('/douyin/user/login/', { username, password: 'correct-horse' });

async function serve(t: ExecutionContext<{ store: RunningStore }>, db: string): Promise<{ server: ServerProcess; api: Client }> {
  const server = await startServer({ MONGO_URL: `${t.context.store.url}${db}` });
  t.teardown(() => server.stop());
  return { server, api: client(server.baseUrl) };
}

test('a look-alike of a taken username is refused with 20004 and zero-valued fields; other names register', async (t) => {
  const { api } = await serve(t, 'lookalikes');
  for (const name of ['seed_001', 'paypal', 'user1', 'modern']) t.is((await register(api, name)).body.status_code, 0, name);

  // A Cyrillic ѕ, a Cyrillic р, the letter l for the digit 1, r+n for m, a fullwidth digit, a Greek omicron.
  for (const lookAlike of ['ѕeed_001', 'рaypal', 'userl', 'rnodern', 'seed_00１', 'mοdern']) {
    const { httpStatus, body } = await register(api, lookAlike);
    t.is(httpStatus, 200);
    t.like(body, { status_code: 20004, user_id: 0, token: '' }, lookAlike);
    t.regex(body.status_msg, /looks like one already taken|already taken/, lookAlike);
  }
  t.like((await register(api, 'ѕeed_001')).body, { status_msg: 'username looks like one already taken (letters of other scripts or look-alike characters): choose another' });
  t.like((await register(api, 'SEED_001')).body, { status_code: 20004, status_msg: 'username already taken' }, 'the same name in other letter case is the same name');
  t.is((await login(api, 'ѕeed_001')).body.status_code, 20003, 'the look-alike was never made');

  for (const name of ['seed_002', 'seed_010', 'seed_100', 'pay_pal', 'user2', 'мария', 'Zoë', '张伟']) t.is((await register(api, name)).body.status_code, 0, `${name} is its own name`);
});

test('two processes registering look-alikes at the same instant: exactly one of each pair wins', async (t) => {
  const [a, b] = await Promise.all([serve(t, 'lookalike_race'), serve(t, 'lookalike_race')]);
  const pairs = Array.from({ length: 12 }, (_, i) => [`race_${i}_a`, `race_${i}_а`] as const); // the second ends in a Cyrillic а
  const answers = await Promise.all(pairs.flatMap(([latin, cyrillic]) => [register(a.api, latin), register(b.api, cyrillic)]));
  for (let i = 0; i < pairs.length; i += 1) {
    const codes = [answers[2 * i]!.body.status_code, answers[2 * i + 1]!.body.status_code].sort();
    t.deepEqual(codes, [0, 20004], `${pairs[i]!.join(' / ')}: one account, one refusal`);
  }
});

test('users stored before skeletons were kept get theirs at start, look-alikes among them included, and their look-alikes are refused', async (t) => {
  const db = 'lookalike_upgrade';
  const first = await serve(t, db);
  t.is((await register(first.api, 'old_user')).body.status_code, 0);
  await first.server.stop();

  // What an earlier version left: no skeletons, no index on them, no upgrade done, and two look-alikes.
  const store = await mongoose.createConnection(`${t.context.store.url}${db}`).asPromise();
  t.teardown(() => store.close());
  const users = store.db!.collection<{ _id: number; username: string; usernameKey: string; usernameSkeleton?: string }>('users');
  await users.dropIndex('usernameSkeleton_1');
  await users.updateMany({}, { $unset: { usernameSkeleton: '' } });
  await store.db!.collection('upgrades').deleteOne({ _id: 'username-skeletons' as never });
  const old = await users.findOne({ usernameKey: 'old_user' });
  await users.insertOne({ ...old!, _id: old!._id + 1, username: 'оld_user', usernameKey: 'оld_user' }); // a Cyrillic о

  const later = await serve(t, db);
  const filed = await users.find({}, { projection: { username: 1, usernameSkeleton: 1 } }).sort({ _id: 1 }).toArray();
  t.deepEqual(filed.map((user) => user.usernameSkeleton), ['old_user', `old_user#${old!._id + 1}`], 'the first keeps the skeleton, the later look-alike is filed apart');
  t.like((await register(later.api, 'old_usеr')).body, { status_code: 20004 }, 'a Cyrillic е: refused'); // the е is Cyrillic
  t.is((await login(later.api, 'old_user')).body.status_code, 0);
  t.is((await login(later.api, 'оld_user')).body.status_code, 0, 'both older accounts still work');
  t.is((await register(later.api, 'new_user')).body.status_code, 0);
});
