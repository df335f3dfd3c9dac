import { hostname } from 'node:os';
import anyTest, { type TestFn } from 'ava';
import { closeDatabase, openDatabase } from '../models/db.js';
import { HourEntry, hourOf } from '../models/hour-index.js';
import { nextId } from '../models/ids.js';
import { Conversation, hourKeysOf, Message, pairKey } from '../models/message.js';
import { fold, PendingChange, recoverOrphans, sending } from '../models/write-behind.js';
import type { RunningStore } from '../server/store/embedded.js';
import { startTestStore } from './helpers/store.js';

/**
 * A chat message records nothing of its own for the write-behind (models/write-behind.ts): it is
 * stored with its hours filed at once, and its conversation's latest message is kept at the fold.
 * What a write that failed halfway, or a process that died, leaves undone is settled from the store.
 * Against a real store; the dead process of the kill -9 test in counters.test.ts is a real one.
 */
const test = anyTest.serial as TestFn<{ store: RunningStore }>;

test.before(async (t) => {
  const store = await startTestStore();
  await openDatabase(`${store.url}chat-write-behind`);
  t.context = { store };
});

test.after.always(async (t) => {
  await closeDatabase();
  await t.context.store?.stop();
});

const hoursFiled = async (message: { pair: string; fromUserId: number; toUserId: number; hour: number }) =>
  HourEntry.countDocuments({ _id: { $in: hourKeysOf(message).map((key) => `${key}:${message.hour}`) } });

test('a message stored by a write that then failed (its hours not filed) is settled by the fold: hours filed, latest message kept', async (t) => {
  const [fromUserId, toUserId] = [nextId(), nextId()];
  const pair = pairKey(fromUserId, toUserId);
  const createdAt = Date.now();
  const message = { _id: nextId(), fromUserId, toUserId, pair, content: 'half done', createdAt, hour: hourOf(createdAt) };
  const latest = { pair, message: { id: message._id, fromUserId, content: message.content } };
  await t.throwsAsync(sending(latest, async (g) => {
    await Message.create({ ...message, g });
    throw new Error('the store went away before the hours were filed');
  }));
  t.is(await hoursFiled(message), 0);

  await fold();
  t.is(await hoursFiled(message), 3, 'the conversation\'s and both users\' hours');
  t.like(await Conversation.findById(pair).lean(), { latest: latest.message });
});

test('records of single messages that an earlier version left behind a dead process still make their conversations\' latest', async (t) => {
  const [fromUserId, toUserId] = [nextId(), nextId()];
  const pair = pairKey(fromUserId, toUserId);
  const createdAt = Date.now();
  const message = { _id: nextId(), fromUserId, toUserId, pair, content: 'from before the marks', createdAt, hour: hourOf(createdAt) };
  await Message.create(message);
  const deadProcess = `${hostname()}/${2 ** 22 + 1}/earlier-version`; // a pid above Linux's pid_max
  const latest = { id: message._id, fromUserId, content: message.content };
  await PendingChange.create({ _id: nextId(), o: deadProcess, g: nextId(), s: 0, c: [], l: { pair, message: latest } });

  t.is(await recoverOrphans(), 1);
  t.like(await Conversation.findById(pair).lean(), { latest });
  t.is(await hoursFiled(message), 3);
  t.is(await PendingChange.countDocuments({ o: deadProcess }), 0);
});
