import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import jwt from 'jsonwebtoken';
import { client } from './helpers/api.js';
import { removeDataDir } from './helpers/dirs.js';
import { startServer } from './helpers/server.js';
import { startTestStore } from './helpers/store.js';

/** The secret older versions signed with when JWT_SECRET was unset, printed in their source. */
const PUBLISHED_SECRET = 'development-only-secret-change-me';

test('without JWT_SECRET, processes sharing a DATA_DIR sign with one random owner-only secret that nobody else knows', async (t) => {
  const store = await startTestStore();
  t.teardown(() => store.stop());
  const dataDir = await mkdtemp(path.join(tmpdir(), 'douyin-secret-'));
  t.teardown(() => removeDataDir(dataDir));

  // Both start at once on a fresh directory: they must still agree on one secret.
  const env = { JWT_SECRET: '', MONGO_URL: `${store.url}secret`, DATA_DIR: dataDir };
  const servers = await Promise.all([startServer(env), startServer(env)]);
  for (const server of servers) t.teardown(() => server.stop());
  const [one, two] = servers.map((server) => client(server.baseUrl));

  const user = await one!.newUser('secret');
  t.is((await two!.get('/douyin/user/', { user_id: user.id, token: user.token })).body.status_code, 0, 'a token from one process works on the other');

  const forged = jwt.sign({}, PUBLISHED_SECRET, { subject: String(user.id), expiresIn: 600 });
  for (const api of [one!, two!]) {
    t.is((await api.get('/douyin/user/', { user_id: user.id, token: forged })).body.status_code, 20002, 'the published secret is worthless');
  }

  const file = path.join(dataDir, 'jwt-secret');
  t.is((await stat(file)).mode & 0o777, 0o600);
  const secret = (await readFile(file, 'utf8')).trim();
  t.true(secret.length >= 48);
  const minted = jwt.sign({}, secret, { subject: String(user.id), expiresIn: 600 });
  t.is((await one!.get('/douyin/user/', { user_id: user.id, token: minted })).body.status_code, 0, 'the kept secret is the one in use');
});
