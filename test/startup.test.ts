import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { idWorker } from '../models/ids.js';
import { client } from './helpers/api.js';
import { runServerToExit, startServer } from './helpers/server.js';
import { startTestStore } from './helpers/store.js';

test('production without JWT_SECRET refuses to start, naming the variable', async (t) => {
  const { code, output } = await runServerToExit({ NODE_ENV: 'production', MONGO_URL: 'mongodb://127.0.0.1:1/x' });
  t.is(code, 1);
  t.regex(output, /JWT_SECRET: must be set to your own secret when NODE_ENV=production/);
});

test('invalid configuration refuses to start, naming each variable', async (t) => {
  const { code, output } = await runServerToExit({ PORT: 'http', TOKEN_TTL: 'forever' });
  t.is(code, 1);
  t.regex(output, /^ {2}PORT: /m);
  t.regex(output, /^ {2}TOKEN_TTL: /m);
});

test('without MONGO_URL the server runs its own store under DATA_DIR, stops it on SIGTERM, and finds its data again', async (t) => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'douyin-data-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));

  const first = await startServer({ DATA_DIR: dataDir, LOG_LEVEL: 'info' });
  t.teardown(() => first.stop('SIGKILL'));
  t.true(first.output.some((line) => /"msg":"store: (FerretDB|mongod)/.test(line)), first.output.join('\n'));
  const user = await client(first.baseUrl).newUser('persist');
  t.is(await first.stop(), 0);
  t.deepEqual(storeProcessesUsing(dataDir), [], 'the embedded store stops with the server');

  const second = await startServer({ DATA_DIR: dataDir });
  t.teardown(() => second.stop('SIGKILL'));
  const login = await client(second.baseUrl).post('/douyin/user/login/', { username: user.username, password: 'correct-horse' });
  t.is(login.body.user_id, user.id);
  t.is(await second.stop(), 0);
});

test('two server processes on one store hand out distinct ids under concurrent registrations', async (t) => {
  const store = await startTestStore();
  t.teardown(() => store.stop());
  const servers = [];
  for (let i = 0; i < 2; i += 1) {
    const server = await startServer({ MONGO_URL: `${store.url}ids` });
    t.teardown(() => server.stop());
    servers.push(server);
  }
  const apis = servers.map((server) => client(server.baseUrl));
  const users = await Promise.all(Array.from({ length: 40 }, (_, i) => apis[i % 2]!.newUser(`multi${i}`)));
  t.is(new Set(users.map((user) => user.id)).size, 40);
  const workersOf = (parity: number) => new Set(users.filter((_, i) => i % 2 === parity).map((user) => idWorker(user.id)));
  t.is(workersOf(0).size, 1, 'one process, one worker slot');
  t.notDeepEqual(workersOf(0), workersOf(1), 'two processes, two worker slots');
});

function storeProcessesUsing(dataDir: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', dataDir], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}
