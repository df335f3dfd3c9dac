import { readFileSync } from 'node:fs';
import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import { client } from './helpers/api.js';
import { descendants, eventually, rest, sleep } from './helpers/faults.js';
import { startServer, type ServerProcess } from './helpers/server.js';

/**
 * Issue 21 item 3: the server's own store (FerretDB and the PostgreSQL under it) is started again
 * when it dies, and the process exits non-zero when it cannot be. Real processes, killed with SIGKILL.
 */
const test = anyTest.serial as TestFn;

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

function storeOf(server: ServerProcess): { ferretdb: number; postmaster: number } {
  const ferretdb = descendants(server.child.pid!, 1).find((pid) => /ferretdb/.test(commandOf(pid)));
  if (!ferretdb) throw new Error('the server has no FerretDB child (is a mongod installed?)');
  const postmaster = descendants(ferretdb, 1).find((pid) => /postgres/.test(commandOf(pid)));
  if (!postmaster) throw new Error('FerretDB runs no PostgreSQL');
  return { ferretdb, postmaster };
}

async function embeddedServer(t: ExecutionContext) {
  const server = await startServer({ EMBEDDED_STORE: 'postgresql' });
  t.teardown(() => server.stop('SIGKILL'));
  const api = client(server.baseUrl);
  const [alice, bob] = await Promise.all([api.newUser('alice'), api.newUser('bob')]);
  return { server, alice: alice!, bob: bob! };
}

/** Sends a message every 100 ms through the outage; resolves with the contents whose send was acknowledged. */
function messagesThrough(server: ServerProcess, token: string, toUserId: number) {
  let sending = true;
  const acknowledged: string[] = [];
  const loop = (async () => {
    for (let n = 0; sending; n += 1) {
      const content = `through-${n}`;
      void rest(server.baseUrl, 'POST', '/douyin/message/action/', { token, to_user_id: toUserId, action_type: 1, content, client_msg_id: content })
        .then((answer) => answer.body.status_code === 0 && acknowledged.push(content), () => undefined);
      await sleep(100);
    }
  })();
  return async () => {
    sending = false;
    await loop;
    await sleep(6_000); // the last ones answered
    return acknowledged;
  };
}

/** A write that reaches the store, acknowledged: the store serves again (reads could come from caches). */
async function servedAgain(t: ExecutionContext, server: ServerProcess, token: string, toUserId: number, diedAt: number): Promise<void> {
  const served = await eventually(async () => {
    const probe = `probe-${Date.now()}`;
    const answer = await rest(server.baseUrl, 'POST', '/douyin/message/action/', { token, to_user_id: toUserId, action_type: 1, content: probe, client_msg_id: probe }).catch(() => undefined);
    return answer?.body.status_code === 0;
  }, 30_000);
  t.true(served, 'served again');
  t.log(`a write acknowledged again ${Date.now() - diedAt} ms after the kill`);
  t.true(await eventually(() => server.output.some((line) => /"level":50/.test(line) && /the store exited \((signal SIGKILL|code \d+)\)/.test(line)), 5_000), 'the death is logged at error');
  t.true(server.output.some((line) => /the store is running again/.test(line)), 'so is the restart');
  t.is((await fetch(`${server.baseUrl}/healthz`)).status, 200);
  t.true(await eventually(async () => (await fetch(`${server.baseUrl}/readyz`)).status === 200, 10_000), '/readyz ready again');
}

async function nothingLost(t: ExecutionContext, server: ServerProcess, token: string, toUserId: number, acknowledged: string[]): Promise<void> {
  const stored = new Set<string>();
  for (let after = 0; ;) {
    const chat = await rest(server.baseUrl, 'GET', '/douyin/message/chat/', { token, to_user_id: toUserId, pre_msg_time: after, limit: 100 });
    const page = chat.body.message_list as Array<{ content: string; create_time: string }>;
    page.forEach((message) => stored.add(message.content));
    if (page.length < 100) break;
    after = Number(page.at(-1)!.create_time);
  }
  t.true(acknowledged.length > 0, 'some messages were acknowledged');
  t.deepEqual(acknowledged.filter((content) => !stored.has(content)), [], 'every acknowledged message is stored');
}

/** Kills one store process (FerretDB or its postmaster) under a little chat traffic; the server must start it again and lose nothing. */
async function killedUnderTraffic(t: ExecutionContext, victim: 'ferretdb' | 'postmaster'): Promise<void> {
  const { server, alice, bob } = await embeddedServer(t);
  const killed = storeOf(server)[victim];
  const stop = messagesThrough(server, alice.token, bob.id);
  await sleep(1_000);
  const diedAt = Date.now();
  process.kill(killed, 'SIGKILL');
  await servedAgain(t, server, alice.token, bob.id, diedAt);
  await nothingLost(t, server, alice.token, bob.id, await stop());
  t.not(storeOf(server)[victim], killed, `a new ${victim}`);
}

test('FerretDB killed: the server starts it again, serves within seconds, and loses nothing acknowledged', (t) => killedUnderTraffic(t, 'ferretdb'));

test('PostgreSQL killed under FerretDB: the store is started again with it', (t) => killedUnderTraffic(t, 'postmaster'));

test('a store that keeps dying: the server logs why and exits non-zero, for its supervisor to act', async (t) => {
  const { server } = await embeddedServer(t);
  const exited = new Promise<number | null>((resolve) => server.child.once('exit', resolve));
  let killing = true;
  void exited.then(() => (killing = false));
  while (killing) { // every FerretDB the server starts is killed at once, as a store crashing at start would be
    descendants(server.child.pid!, 1).filter((pid) => /ferretdb/.test(commandOf(pid))).forEach((pid) => process.kill(pid, 'SIGKILL'));
    await sleep(20);
  }
  t.is(await exited, 1);
  t.true(server.output.some((line) => /"level":60/.test(line) && /could not be kept running/.test(line)), 'the reason is logged as fatal');
});
