import { execFileSync } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import test from 'ava';
import { idWorker } from '../models/ids.js';
import { client } from './helpers/api.js';
import { removeDataDir, temporaryDir } from './helpers/dirs.js';
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
  const dataDir = temporaryDir('douyin-data-');
  t.teardown(() => removeDataDir(dataDir));

  const first = await startServer({ DATA_DIR: dataDir, LOG_LEVEL: 'info' });
  t.teardown(() => first.stop('SIGKILL'));
  t.true(first.output.some((line) => /"msg":"store: (FerretDB 1\.24\.2 on PostgreSQL|mongod)/.test(line)), first.output.join('\n'));
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

test('the embedded store stops when the server is killed, and PostgreSQL stops when its FerretDB is killed (which the server then starts again)', async (t) => {
  const dataDir = temporaryDir('douyin-kill-');
  t.teardown(() => removeDataDir(dataDir));
  for (const victim of ['server', 'ferretdb'] as const) {
    const server = await startServer({ DATA_DIR: dataDir });
    t.teardown(() => server.stop('SIGKILL'));
    const before = storeProcessesUsing(dataDir);
    t.true(before.length >= 2, 'FerretDB and PostgreSQL run');
    if (victim === 'server') await server.stop('SIGKILL');
    else execFileSync('pkill', ['-KILL', '-f', `ferretdb.*${dataDir}`]);
    t.deepEqual(await settled(() => before.filter((pid) => storeProcessesUsing(dataDir).includes(pid))), [], `nothing of the store outlives a killed ${victim}`);
    await server.stop('SIGKILL');
  }
});

test('if its PostgreSQL dies, its FerretDB stops too; the server answers 50001 meanwhile, never a failed query, and serves again once it has started both again', async (t) => {
  const dataDir = temporaryDir('douyin-pgdies-');
  t.teardown(() => removeDataDir(dataDir));
  const server = await startServer({ DATA_DIR: dataDir });
  t.teardown(() => server.stop('SIGKILL'));
  const user = await client(server.baseUrl).newUser('orphan');
  const before = storeProcessesUsing(dataDir);
  execFileSync('pkill', ['-KILL', '-f', `postgres -D ${dataDir}`]);
  t.deepEqual(await settled(() => before.filter((pid) => storeProcessesUsing(dataDir).includes(pid))), [], 'FerretDB exits with its PostgreSQL');
  const answers = new Set<number>();
  const login = () => client(server.baseUrl).post('/douyin/user/login/', { username: user.username, password: 'correct-horse' });
  for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
    const code = (await login()).body.status_code as number;
    answers.add(code);
    if (code === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  t.deepEqual([...answers].filter((code) => code !== 0 && code !== 50001), [], 'only 50001 while the store is down');
  t.true(answers.has(0), 'served again');
});

test('a SQLite store of an earlier version is moved to PostgreSQL at the first start, and the old directory kept', async (t) => {
  const dataDir = temporaryDir('douyin-move-');
  t.teardown(() => removeDataDir(dataDir));
  const old = await startServer({ DATA_DIR: dataDir, EMBEDDED_STORE: 'sqlite' });
  t.teardown(() => old.stop('SIGKILL'));
  const api = client(old.baseUrl);
  const user = await api.newUser('mover');
  await api.post('/douyin/relation/action/', { token: user.token, to_user_id: (await api.newUser('followee')).id, action_type: 1 });
  await old.stop();

  const moved = await startServer({ DATA_DIR: dataDir, LOG_LEVEL: 'info' });
  t.teardown(() => moved.stop('SIGKILL'));
  t.true(moved.output.some((line) => /moved \d+ documents to PostgreSQL/.test(line)), moved.output.join('\n'));
  const login = await client(moved.baseUrl).post('/douyin/user/login/', { username: user.username, password: 'correct-horse' });
  t.is(login.body.user_id, user.id);
  const info = await client(moved.baseUrl).get('/douyin/user/', { user_id: user.id, token: login.body.token });
  t.is(info.body.user.follow_count, 1);
  t.deepEqual((await readdir(dataDir)).filter((name) => /^(ferretdb|postgres)/.test(name)).sort(), ['ferretdb.moved-to-postgres', 'postgres']);
  t.is(await moved.stop(), 0); // and its PostgreSQL, before the directory is removed
});

/** Polls `probe` until it returns an empty list, for at most 10 s, and returns its last answer. */
async function settled<T>(probe: () => T[]): Promise<T[]> {
  const deadline = Date.now() + 10_000;
  let last = probe();
  while (last.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    last = probe();
  }
  return last;
}

function storeProcessesUsing(dataDir: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', dataDir], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}
