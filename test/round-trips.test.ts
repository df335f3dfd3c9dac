import anyTest, { type TestFn } from 'ava';
import { closeDatabase } from '../models/db.js';
import { useEqualityQueries } from '../models/lookups.js';
import { friendList } from '../models/relations.js';
import { unreadCounts } from '../models/unread.js';
import { feed } from '../models/videos.js';
import type { RunningStore } from '../server/store/embedded.js';
import { countCommands, LISTS, seedRoundTripData, type RoundTripData } from './helpers/round-trips.js';
import { startTestStore } from './helpers/store.js';

/**
 * Lists must cost a constant number of database round trips, whatever their length: counted with the
 * driver's command monitoring, in-process against a real store, with empty caches.
 */
const test = anyTest.serial as TestFn<RoundTripData & { store: RunningStore }>;

test.before(async (t) => {
  const store = await startTestStore();
  t.context = { store, ...(await seedRoundTripData(`${store.url}roundtrips`)) };
});

test.after.always(async (t) => {
  await closeDatabase();
  await t.context.store?.stop();
});

/**
 * With empty caches, a list costs at most 6 round trips; the notification list reads three lists
 * (the likes and comments the owner's videos received, the owner's followers) and a read position
 * before its views: 8.
 */
const BOUND: Record<string, number> = { 'notification list': 8 };

// Both query shapes run here against the real store: FerretDB's equality queries sent at once, and
// the single `$in`/`$or` query MongoDB gets (which FerretDB answers too, reading whole collections).
for (const [shape, equalityQueries] of [['equality queries', true], ['$in queries', false]] as const) {
  for (const [name, list] of LISTS) {
    test(`the ${name} costs the same round trips for 1 and for 30 entries (${shape})`, async (t) => {
      useEqualityQueries(equalityQueries);
      t.teardown(() => useEqualityQueries(true));
      const one = await countCommands(() => list(t.context, 'single'));
      const many = await countCommands(() => list(t.context, 'prolific'));
      t.is(one.result.length, 1);
      t.true(many.result.length >= 30, `${many.result.length} entries`);
      t.is(many.commands, one.commands);
      t.true(many.commands <= (BOUND[name] ?? 6), `${many.commands} round trips`);
    });
  }
}

test('friend list entries carry unread counts, read positions and presence, from the same round trips', async (t) => {
  const { users } = await friendList(t.context.prolific, { limit: 100 }, 'http://media.test');
  t.true(users.length >= 30);
  t.true(users.every((user) => user.unread_count === 1 && user.peer_read_id === 0 && user.is_online === false));
});

test('unread counts read each conversation\'s hour entries and then only its hours with messages: two queries a conversation, not one per open hour', async (t) => {
  const { users } = await friendList(t.context.prolific, { limit: 100 }, 'http://media.test');
  const queries = users.map((user) => ({ readerId: t.context.prolific, peerId: user.id, readId: 0 }));
  const counted = await countCommands(() => unreadCounts(queries));
  t.deepEqual([...counted.result.values()], users.map(() => 1));
  t.is(counted.commands, 2, 'round trips');
  t.true(counted.queries <= 2 * users.length, `${counted.queries} queries for ${users.length} conversations`);
});

test('a friend list polled again counts no conversation whose read position and latest message stayed the same', async (t) => {
  const cold = await countCommands(() => friendList(t.context.prolific, { limit: 100 }, 'http://media.test'));
  const again = await countCommands(() => friendList(t.context.prolific, { limit: 100 }, 'http://media.test'), { warm: true });
  t.true(cold.queries > 0);
  t.is(again.queries, 0, 'everything from the caches');
  t.deepEqual(again.result.users.map((user) => user.unread_count), cold.result.users.map((user) => user.unread_count));
});

test('the flags in a long feed are right, so the batching does not trade correctness', async (t) => {
  const { videos } = await feed({ limit: 30 }, t.context.viewer, 'http://media.test');
  t.true(videos.some((video) => video.is_favorite));
  t.true(videos.some((video) => !video.is_favorite));
  t.true(videos.every((video) => video.author.id > 0));
});

test('the first feed page costs no round trip for an anonymous reader once cached', async (t) => {
  const firstPage = () => feed({ limit: 30 }, undefined, 'http://media.test');
  t.true((await countCommands(firstPage)).commands > 0);
  const warm = await countCommands(firstPage, { warm: true });
  t.is(warm.commands, 0);
  t.is(warm.result.videos.length, 30);
});
