import test from 'ava';
import { connect } from './helpers/sockets.js';
import { startStack } from './helpers/stack.js';

test('/metrics exposes request latency per route, connected sockets, delivered events, refusals, store commands and store health', async (t) => {
  const stack = await startStack('metrics', { RATE_LIMITS: 'on' });
  t.teardown(() => stack.stop());
  const { api, server } = stack;
  const [alice, bob] = [await api.newUser('alice'), await api.newUser('bob')];
  const bobSocket = await connect(server.realtimeUrl, bob.token);
  t.teardown(() => bobSocket.close());
  await api.get('/douyin/feed/');
  await api.post('/douyin/message/action/', { token: alice.token, to_user_id: bob.id, action_type: 1, content: 'counted' });
  await bobSocket.waitFor('message:new');
  for (let i = 0; i < 11; i += 1) await api.post('/douyin/user/login/', { username: alice.username, password: 'wrong-password' });

  const response = await fetch(`${server.baseUrl}/metrics`);
  t.regex(response.headers.get('content-type') ?? '', /^text\/plain/);
  const text = await response.text();
  const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
  t.is(value('http_request_duration_seconds_count{method="GET",route="/douyin/feed",status="200"}'), 1);
  t.is(value('http_request_duration_seconds_count{method="POST",route="/douyin/message/action",status="200"}'), 1);
  t.is(value('realtime_connected_sockets'), 1);
  t.is(value('realtime_events_delivered_total{event="message:new"}'), 1);
  t.is(value('rate_limit_refusals_total{limit="loginFailuresPerAddressAndUsername"}'), 1);
  t.is(value('store_up'), 1);
  t.true(value('store_commands_total{command="insert",collection="messages"}') >= 1, 'the message was one insert');
  t.false(text.includes('redis_up '), 'no Redis configured, no redis_up');
  t.true(text.includes('process_resident_memory_bytes'));
});
