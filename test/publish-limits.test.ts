import { readdir } from 'node:fs/promises';
import { request } from 'node:http';
import path from 'node:path';
import test from 'ava';
import { tinyVideo } from './helpers/media.js';
import { startStack } from './helpers/stack.js';
import { temporaryDir } from './helpers/dirs.js';

const BOUNDARY = 'publish-limits';

/**
 * Starts a publish whose file part is sent slowly: the token field, then 64 KiB of the file, then
 * nothing more until the server answers. Resolves with the answer (if any within 5 s) and whether
 * the server read the body to its end.
 */
function slowPublish(baseUrl: string, token: string, tokenIn: 'query' | 'field'): Promise<{ body?: Record<string, any> }> {
  return new Promise((resolve) => {
    const query = tokenIn === 'query' ? `?token=${encodeURIComponent(token)}` : '';
    const req = request(`${baseUrl}/douyin/publish/action/${query}`, {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'content-length': 5 * 1024 * 1024 },
    });
    const timer = setTimeout(() => {
      req.destroy();
      resolve({});
    }, 5_000);
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => {
        clearTimeout(timer);
        req.destroy();
        resolve({ body: JSON.parse(text) as Record<string, any> });
      });
    });
    req.on('error', () => undefined);
    const field = tokenIn === 'field' ? `--${BOUNDARY}\r\ncontent-disposition: form-data; name="token"\r\n\r\n${token}\r\n` : '';
    req.write(`${field}--${BOUNDARY}\r\ncontent-disposition: form-data; name="title"\r\n\r\nslow\r\n`);
    req.write(`--${BOUNDARY}\r\ncontent-disposition: form-data; name="data"; filename="a.mp4"\r\ncontent-type: video/mp4\r\n\r\n`);
    req.write(Buffer.alloc(64 * 1024, 1));
  });
}

test('a bad token is refused before the file is read, from the query or a field before the file', async (t) => {
  const dataDir = temporaryDir('douyin-publish-');
  const stack = await startStack('publish-token', { DATA_DIR: dataDir });
  t.teardown(() => stack.stop());
  for (const tokenIn of ['query', 'field'] as const) {
    const { body } = await slowPublish(stack.server.baseUrl, 'not-a-token', tokenIn);
    t.is(body?.status_code, 20002, `answered while the client was still sending (token in the ${tokenIn})`);
  }
  const tmp = path.join(dataDir, 'media', '.tmp');
  const files = (await readdir(tmp, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile());
  t.deepEqual(files.map((file) => file.name), [], 'nothing was written');
});

test('publishing: ten videos per user per ten minutes, and no upload while the disk is short of its reserve', async (t) => {
  const limited = await startStack('publish-limits', { RATE_LIMITS: 'on' });
  t.teardown(() => limited.stop());
  const clip = await tinyVideo();
  const author = await limited.api.newUser('prolific');
  for (let i = 0; i < 10; i += 1) {
    t.is((await limited.api.upload('/douyin/publish/action/', { token: author.token, title: `clip ${i}` }, { bytes: clip })).body.status_code, 0);
  }
  const refused = await limited.api.upload('/douyin/publish/action/', { token: author.token, title: 'one more' }, { bytes: clip });
  t.is(refused.body.status_code, 20005);
  t.regex(refused.body.status_msg, /^too many videos published: try again in \d+ s$/);

  const full = await startStack('publish-full', { MIN_FREE_DISK_MB: String(1024 * 1024 * 1024) });
  t.teardown(() => full.stop());
  const someone = await full.api.newUser('hopeful');
  const answer = await full.api.upload('/douyin/publish/action/', { token: someone.token, title: 'no room' }, { bytes: clip });
  t.like(answer.body, { status_code: 50002, status_msg: 'the server has no room for more videos right now' });
  t.is((await full.api.get('/douyin/publish/list/', { token: someone.token, user_id: someone.id })).body.video_list.length, 0);
});
