import test from 'ava';
import fc from 'fast-check';
import { connect, settle } from './helpers/sockets.js';
import { startStack } from './helpers/stack.js';

/**
 * Property: malformed client events get a refusal in their ack and change nothing; events without an
 * ack, oversized ones and floods cost only the offending socket. Other users notice nothing.
 */
test('malformed, ack-less, oversized and flooding events leave the gateway up and other users untouched', async (t) => {
  const stack = await startStack('fuzz-gateway');
  t.teardown(() => stack.stop());
  const { api, server } = stack;
  const [alice, bob] = [await api.newUser('fuzzer'), await api.newUser('bystander')];
  const fuzzer = await connect(server.realtimeUrl, alice.token);
  const bystander = await connect(server.realtimeUrl, bob.token);
  t.teardown(() => [fuzzer, bystander].forEach((socket) => socket.close()));

  const validSync = (payload: unknown) => {
    const afterId = (payload as { after_id?: unknown } | null)?.after_id;
    return typeof afterId === 'string' ? /^\d{1,16}$/.test(afterId) : Number.isSafeInteger(afterId) && (afterId as number) >= 0;
  };
  const wrongTypes = fc.record({
    to_user_id: fc.oneof(fc.string(), fc.double(), fc.constant(bob.id + 0.5), fc.object(), fc.constant(-bob.id)),
    content: fc.oneof(fc.constant(''), fc.integer(), fc.array(fc.string()), fc.string({ minLength: 1001, maxLength: 1100 })),
    client_msg_id: fc.oneof(fc.constant('has space'), fc.integer()),
  }, { requiredKeys: [] });

  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.tuple(fc.constant('message:send' as const), fc.oneof(fc.anything(), wrongTypes)),
        fc.tuple(fc.constant('message:sync' as const), fc.anything().filter((payload) => !validSync(payload))),
        fc.tuple(fc.constant('notification:sync' as const), fc.anything().filter((payload) => !validSync(payload))),
      ),
      async ([event, payload]) => {
        await new Promise((resolve) => setTimeout(resolve, 60)); // within the per-socket event rate
        const ack = await fuzzer.socket.timeout(5_000).emitWithAck(event, payload as never) as { status_code: number; status_msg: string };
        if (typeof ack.status_code !== 'number' || ack.status_code === 0 || !ack.status_msg) {
          throw new Error(`${event} ${JSON.stringify(payload)} → ${JSON.stringify(ack)}`);
        }
      },
    ),
    { numRuns: 150 },
  );

  for (let i = 0; i < 5; i += 1) fuzzer.socket.emit('message:send', { to_user_id: bob.id, content: 'no ack' } as never, undefined as never);
  const hostile = await connect(server.realtimeUrl, alice.token);
  const dropped = new Promise((resolve) => hostile.socket.once('disconnect', resolve));
  hostile.socket.emit('message:sync', { after_id: 0, padding: 'x'.repeat(64 * 1024) } as never, () => undefined);
  await dropped;

  await settle(300);
  t.deepEqual(bystander.events, [], 'nothing reached the other user');
  const inbox = await bystander.sync({ after_id: 0 });
  t.like(inbox, { status_code: 0, message_list: [] });
  t.true(fuzzer.socket.connected, 'the malformed events were refused, not punished');
  t.is(server.child.exitCode, null);
});
