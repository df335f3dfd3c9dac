import { request } from 'node:http';
import test from 'ava';
import { startStack } from './helpers/stack.js';

/** A GET with the Host header a client chose. */
function getWithHost(baseUrl: string, path: string, host: string): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}${path}`, { headers: { host } }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve(JSON.parse(text) as Record<string, any>));
    });
    req.on('error', reject);
    req.end();
  });
}

test('a Host the operator did not allow never becomes part of the URLs the server hands out', async (t) => {
  const stack = await startStack('hosts');
  t.teardown(() => stack.stop());
  const me = await stack.api.newUser('hosted');
  const { port } = new URL(stack.server.baseUrl);
  const avatar = async (host: string) => (await getWithHost(stack.server.baseUrl, `/douyin/user/?token=${me.token}`, host)).user.avatar as string;

  t.true((await avatar('evil.example')).startsWith(`http://localhost:${port}/`));
  t.true((await avatar(`127.0.0.1:${port}`)).startsWith(`http://127.0.0.1:${port}/`), 'the machine\'s own addresses are allowed');
  const config = await getWithHost(stack.server.baseUrl, '/console/config.json', 'evil.example');
  t.false(JSON.stringify(config).includes('evil.example'));
  t.regex(config.realtimeUrl, /^http:\/\/localhost:\d+$/);
});

test('ALLOWED_HOSTS names the hosts whose requests build their own URLs', async (t) => {
  const stack = await startStack('hosts-allowed', { ALLOWED_HOSTS: 'app.example.com' });
  t.teardown(() => stack.stop());
  const me = await stack.api.newUser('hosted');
  const body = await getWithHost(stack.server.baseUrl, `/douyin/user/?token=${me.token}`, 'app.example.com');
  t.true((body.user.avatar as string).startsWith('http://app.example.com/'));
});
