import { chmodSync, mkdirSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import { client } from './helpers/api.js';
import { removeDataDir, temporaryDir } from './helpers/dirs.js';
import { runServerToExit, startServer, TEST_JWT_SECRET } from './helpers/server.js';

/**
 * Issue 21, item 6: run as root with DATA_DIR in a directory the user postgres cannot enter (0700, as
 * /root and `mktemp -d` directories are), the server used to fall back to FerretDB on SQLite with one
 * warning. It now keeps the PostgreSQL cluster where that user reaches it (EMBEDDED_CLUSTERS_DIR, by
 * default /var/lib/douyin), and refuses to start, saying what to run, where it cannot.
 */
const test = (process.getuid?.() === 0 ? anyTest.serial : anyTest.skip) as TestFn;

const ON_POSTGRES = /"msg":"store: FerretDB 1\.24\.2 on PostgreSQL/;

/** A fresh directory closed to everyone but root, as `mktemp -d` makes them; removed after the test. */
function privateDir(t: ExecutionContext, prefix: string): string {
  const dir = temporaryDir(prefix);
  chmodSync(dir, 0o700);
  t.teardown(() => removeDataDir(dir));
  return dir;
}

test('a DATA_DIR closed to the user postgres gets PostgreSQL, its cluster in /var/lib/douyin, found again at the next start', async (t) => {
  const closed = privateDir(t, 'douyin-private-');
  const dataDir = path.join(closed, 'data');
  const first = await startServer({ DATA_DIR: dataDir, LOG_LEVEL: 'info' });
  t.teardown(() => first.stop('SIGKILL'));
  const log = first.output.join('\n');
  t.regex(log, ON_POSTGRES, log);
  t.notRegex(log, /SQLite/);

  const cluster = (await readFile(path.join(dataDir, 'postgres-location'), 'utf8')).trim();
  t.teardown(() => removeDataDir(cluster));
  t.true(cluster.startsWith('/var/lib/douyin/data-'), cluster);
  t.true(first.output.some((line) => line.includes(`${closed} is closed to the user postgres`) && line.includes(`kept in ${cluster}`)), log);
  t.true((await readdir(cluster)).includes('PG_VERSION'));

  const api = client(first.baseUrl);
  const user = await api.newUser('private');
  t.is(await first.stop(), 0);

  const second = await startServer({ DATA_DIR: dataDir, LOG_LEVEL: 'info' });
  t.teardown(() => second.stop('SIGKILL'));
  t.true(second.output.some((line) => ON_POSTGRES.test(line) && line.includes(cluster)), second.output.join('\n'));
  const login = await client(second.baseUrl).post('/douyin/user/login/', { username: user.username, password: 'correct-horse' });
  t.is(login.body.user_id, user.id, 'the write of the first start is read back');
  t.is(await second.stop(), 0);
});

test('the SQLite store the old fallback made in such a DATA_DIR is moved to PostgreSQL at the next start', async (t) => {
  const closed = privateDir(t, 'douyin-private-old-');
  const dataDir = path.join(closed, 'data');
  const old = await startServer({ DATA_DIR: dataDir, EMBEDDED_STORE: 'sqlite' });
  t.teardown(() => old.stop('SIGKILL'));
  const user = await client(old.baseUrl).newUser('fallback');
  await old.stop();

  const moved = await startServer({ DATA_DIR: dataDir, LOG_LEVEL: 'info' });
  t.teardown(() => moved.stop('SIGKILL'));
  t.teardown(async () => removeDataDir((await readFile(path.join(dataDir, 'postgres-location'), 'utf8')).trim()));
  t.true(moved.output.some((line) => /moved \d+ documents to PostgreSQL/.test(line)), moved.output.join('\n'));
  t.true(moved.output.some((line) => ON_POSTGRES.test(line)));
  const login = await client(moved.baseUrl).post('/douyin/user/login/', { username: user.username, password: 'correct-horse' });
  t.is(login.body.user_id, user.id);
  t.is(await moved.stop(), 0);
});

test('where the cluster can go nowhere the user postgres reaches, the server refuses to start and says what to run', async (t) => {
  const closed = privateDir(t, 'douyin-nowhere-');
  mkdirSync(path.join(closed, 'clusters'));
  const { code, output } = await runServerToExit({
    DATA_DIR: path.join(closed, 'data'), EMBEDDED_CLUSTERS_DIR: path.join(closed, 'clusters'),
    JWT_SECRET: TEST_JWT_SECRET, PORT: '0', REALTIME_PORT: '0', DEMO_WORLD: 'off',
  }, 8_000);
  t.is(code, 1);
  t.regex(output, new RegExp(`The embedded store cannot start: ${closed} is closed to the user postgres`));
  t.regex(output, new RegExp(`setfacl -m u:postgres:x ${closed}`));
  t.regex(output, /EMBEDDED_STORE=sqlite npm start/);
  t.notRegex(output, /at .*\.js:\d+/, 'a message, not a stack');
  t.deepEqual(await readdir(path.join(closed, 'clusters')), [], 'nothing made');
});
