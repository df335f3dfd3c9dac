import anyTest, { type TestFn } from 'ava';
import mongoose from 'mongoose';
import { forgetEverything } from '../models/caches.js';
import { closeDatabase, isStoreUnavailable, openDatabase } from '../models/db.js';
import { createDeadlines, type Deadlines } from '../models/deadline.js';
import { Follow } from '../models/follow.js';
import { notificationList } from '../models/inbox.js';
import { follow } from '../models/relations.js';
import { User } from '../models/user.js';
import { register, userExists } from '../models/users.js';
import { sleep } from './helpers/faults.js';
import { startRestartableStore } from './helpers/store.js';

/**
 * What a request's budget does to its store operations, in-process against a real store frozen at a
 * chosen moment: reads give up at the deadline; a change whose first write the store already took is
 * answered at the deadline but finishes when the store thaws, whole (issue 27: not half-done).
 */
type Store = Awaited<ReturnType<typeof startRestartableStore>>;
const test = anyTest.serial as TestFn<{ store: Store; deadlines: Deadlines }>;

const BUDGET_MS = 2_000;

test.before(async (t) => {
  const store = await startRestartableStore();
  await openDatabase(`${store.url}deadline-writes`, { monitorCommands: true });
  t.context = { store, deadlines: createDeadlines({ budgetMs: BUDGET_MS, maxPending: 100 }) };
});

test.after.always(async (t) => {
  await closeDatabase().catch(() => undefined);
  await t.context.store?.stop();
  await t.context.store?.remove();
});

/** Freezes the store as soon as it has answered a `name` command on `collection`; thawed `ms` later. */
function freezeAfter(store: Store, name: string, collection: string, ms: number): Promise<void> {
  const client = mongoose.connection.getClient();
  return new Promise((resolve) => {
    let requestId: number | undefined;
    const started = (event: mongoose.mongo.CommandStartedEvent) => {
      if (event.commandName === name && event.command[name] === collection) requestId = event.requestId;
    };
    const succeeded = (event: mongoose.mongo.CommandSucceededEvent) => {
      if (event.requestId !== requestId) return;
      client.off('commandStarted', started);
      client.off('commandSucceeded', succeeded);
      process.kill(store.pid, 'SIGSTOP');
      setTimeout(() => {
        process.kill(store.pid, 'SIGCONT');
        resolve();
      }, ms);
    };
    client.on('commandStarted', started);
    client.on('commandSucceeded', succeeded);
  });
}

test('a read inside a budget gives up at the deadline on a frozen store', async (t) => {
  const { store, deadlines } = t.context;
  const id = await register(`reader_${Date.now()}`, 'secret-1');
  forgetEverything();
  process.kill(store.pid, 'SIGSTOP');
  const started = Date.now();
  try {
    // The driver's own timeout, at the deadline: the read itself gave up, not only its caller.
    await t.throwsAsync(deadlines.run(() => userExists(id)), { instanceOf: mongoose.mongo.MongoOperationTimeoutError });
    const took = Date.now() - started;
    t.true(took >= BUDGET_MS - 100 && took < BUDGET_MS + 400, `gave up after ${took} ms`);
  } finally {
    process.kill(store.pid, 'SIGCONT');
  }
  t.true(await deadlines.run(() => userExists(id)), 'and reads again once the store answers');
});

test('a follow whose edge the store took before it froze is answered at the deadline, then finishes whole: edge, both counters and the notification', async (t) => {
  const { store, deadlines } = t.context;
  const [follower, followee] = await Promise.all([register(`fan_${Date.now()}`, 'secret-1'), register(`star_${Date.now()}`, 'secret-1')]);
  const thawed = freezeAfter(store, 'insert', 'follows', BUDGET_MS + 1_000);
  const started = Date.now();
  const refused = await t.throwsAsync(deadlines.run(() => follow(follower, followee, 1)));
  t.true(isStoreUnavailable(refused), `answered 50001: ${String(refused)}`);
  t.true(Date.now() - started < BUDGET_MS + 400, `answered within its budget: ${Date.now() - started} ms`);
  await thawed;
  await sleep(1_500);
  const counts = async () => {
    const [fan, star] = await Promise.all([User.findById(follower).lean(), User.findById(followee).lean()]);
    const inbox = await notificationList(followee, { limit: 10 }, { mediaBase: 'http://media.test', formatDate: () => '01-01' });
    const notices = inbox.notifications.filter((notice) => notice.type === 'follow' && notice.user.id === follower).length;
    return { edges: await Follow.countDocuments({ followerId: follower, followeeId: followee }), followCount: fan?.followCount, followerCount: star?.followerCount, notices };
  };
  const whole = { edges: 1, followCount: 1, followerCount: 1, notices: 1 };
  t.deepEqual(await counts(), whole, 'the counters and the notification followed the edge: nothing half-done');
  await deadlines.run(() => follow(follower, followee, 1));
  t.deepEqual(await counts(), whole, 'the client\'s retry changes nothing');
});
