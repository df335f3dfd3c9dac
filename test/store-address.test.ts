import { spawnSync } from 'node:child_process';
import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { announcedStore, announceStore } from '../server/store/address-file.js';
import { exists } from '../server/store/files.js';
import { freePort } from '../server/store/free-port.js';
import { removeDataDir, temporaryDir } from './helpers/dirs.js';
import { startTestStore } from './helpers/store.js';

test('a tool finds the store a running server announced in DATA_DIR, and nothing from a server that is gone, a store that does not answer or a damaged file', async (t) => {
  const store = await startTestStore();
  t.teardown(() => store.stop());
  const dataDir = temporaryDir('douyin-announce-');
  t.teardown(() => removeDataDir(dataDir));
  const file = path.join(dataDir, 'store-address.json');
  const url = `${store.url}douyin`;

  t.is(await announcedStore(dataDir), undefined, 'nothing announced');
  const forget = await announceStore(dataDir, url);
  t.is(await announcedStore(dataDir), url, 'announced by this process, which runs');
  t.is((await stat(file)).mode & 0o777, 0o600, 'owner-only');

  const gone = spawnSync(process.execPath, ['-e', '']).pid;
  await writeFile(file, JSON.stringify({ url, pid: gone }));
  t.is(await announcedStore(dataDir), undefined, 'its server was killed');
  await writeFile(file, JSON.stringify({ url: `mongodb://127.0.0.1:${await freePort()}/douyin`, pid: process.pid }));
  t.is(await announcedStore(dataDir), undefined, 'its store does not answer');
  for (const damaged of ['', 'not json', '[]', JSON.stringify({ url: 'http://127.0.0.1/', pid: process.pid }), JSON.stringify({ url, pid: -1 }), JSON.stringify({ url })]) {
    await writeFile(file, damaged);
    t.is(await announcedStore(dataDir), undefined, damaged);
  }

  await forget();
  t.false(await exists(file));
});
