import test from 'ava';
import mongoose from 'mongoose';
import { closeDatabase, openDatabase } from '../models/index.js';
import { usernameSkeleton } from '../models/look-alikes.js';
import { startTestStore } from './helpers/store.js';

/**
 * Every equality filter of the hot paths, as the models send them. FerretDB pushes the top-level
 * equalities down to PostgreSQL (`_jsonb->'field' @> value`, the rest of a filter it applies
 * itself); each must be answered through an index, never by reading the whole table.
 */
const hotFilters: Array<[collection: string, filter: Record<string, unknown>]> = [
  ['users', { _id: 1_000_017 }],
  ['users', { usernameKey: 'user_17' }],
  ['users', { usernameSkeleton: 'user_l7' }],
  ['videos', { _id: 2_000_017 }],
  ['videos', { authorId: 1_000_017 }],
  ['videos', { feedHour: 17 }],
  ['favorites', { _id: 3_000_017 }],
  ['favorites', { userId: 1_000_017 }],
  ['favorites', { userId: 1_000_017, _id: { $lt: 3_000_900 } }],
  ['favorites', { userId: 1_000_017, videoId: 2_000_017 }],
  ['favorites', { videoId: 2_000_017 }],
  ['favorites', { authorId: 1_000_017 }],
  ['follows', { followerId: 1_000_017 }],
  ['follows', { followeeId: 1_000_017 }],
  ['follows', { followerId: 1_000_017, followeeId: 1_000_018 }],
  ['comments', { videoId: 2_000_017 }],
  ['comments', { _id: 4_000_017 }],
  ['comments', { dedupeKey: '1000017:c-17' }],
  ['messages', { pair: '1000017:1000018' }],
  ['messages', { pair: '1000017:1000018', hour: 17 }],
  ['messages', { toUserId: 1_000_017, hour: 17 }],
  ['messages', { fromUserId: 1_000_017, hour: 17 }],
  ['hours', { key: 'user:1000017' }],
  ['messages', { dedupeKey: '1000017:c-17' }],
  ['conversations', { _id: '1000017:1000018' }],
  ['favorites', { authorShelf: '1000018:0' }],
  ['comments', { authorId: 1_000_017 }],
  ['comments', { authorShelf: '1000017:0' }],
  ['inbox_reads', { _id: 1_000_017 }],
];

const WORLD = 3_000;

test('every equality filter of the hot paths is served by an index PostgreSQL really uses', async (t) => {
  const store = await startTestStore();
  t.teardown(() => store.stop());
  t.true(store.description.includes('on PostgreSQL'), store.description);
  await openDatabase(`${store.url}indexes`); // creates the models' indexes, as the server does
  t.teardown(() => closeDatabase());
  await fillWorld(mongoose.connection.db!);

  for (const [collection, filter] of hotFilters) {
    const plan = await eventualPlan(collection, filter);
    t.false(plan.includes('"Seq Scan"'), `${collection} ${JSON.stringify(filter)} reads the whole table: ${plan}`);
    t.regex(plan, /"Index Name":"[^"]+_gin_[0-9a-f]+"/, `${collection} ${JSON.stringify(filter)}`);
  }
});

/** The PostgreSQL plan FerretDB reports for a find; waits for the store to mirror new indexes (every 2 s). */
async function eventualPlan(collection: string, filter: Record<string, unknown>): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const explained = await mongoose.connection.db!.command({ explain: { find: collection, filter } });
    const plan = JSON.stringify(explained.queryPlanner);
    if (!plan.includes('"Seq Scan"') || Date.now() > deadline) return plan;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Enough documents per collection that reading them all costs more than an index (the planner's choice). */
async function fillWorld(db: mongoose.mongo.Db): Promise<void> {
  const each = (make: (i: number) => Record<string, unknown>) => Array.from({ length: WORLD }, (_, i) => make(i));
  const user = (i: number) => 1_000_000 + (i % 300);
  await Promise.all([
    db.collection('users').insertMany(each((i) => ({ _id: 1_000_000 + i, username: `user_${i}`, usernameKey: `user_${i}`, usernameSkeleton: usernameSkeleton(`user_${i}`), passwordHash: 'x' })) as never),
    db.collection('videos').insertMany(each((i) => ({ _id: 2_000_000 + i, authorId: user(i), title: 't', publishedAt: i, feedHour: i % 500, videoKey: 'v', coverKey: 'c' })) as never),
    db.collection('favorites').insertMany(each((i) => ({ _id: 3_000_000 + i, userId: user(i), videoId: 2_000_000 + i, authorId: user(i + 1), authorShelf: `${user(i + 1)}:${i % 20}` })) as never),
    db.collection('follows').insertMany(each((i) => ({ _id: 5_000_000 + i, followerId: user(i), followeeId: 1_000_000 + i })) as never),
    db.collection('comments').insertMany(each((i) => ({ _id: 4_000_000 + i, videoId: 2_000_000 + (i % 300), userId: user(i), content: 'c', createdAt: i, dedupeKey: `${user(i)}:c-${i}`, authorId: user(i + 7), authorShelf: `${user(i + 7)}:${i % 20}` })) as never),
    db.collection('messages').insertMany(each((i) => ({ _id: 6_000_000 + i, fromUserId: user(i), toUserId: user(i + 1), pair: `${user(i)}:${user(i + 1)}`, content: 'm', createdAt: i, hour: i % 500, dedupeKey: `${user(i)}:c-${i}` })) as never),
    db.collection('hours').insertMany(each((i) => ({ _id: `user:${user(i)}:${i}`, key: `user:${user(i)}`, hour: i })) as never),
    db.collection('conversations').insertMany(each((i) => ({ _id: `${user(i)}:${user(i + 1)}:${i}`, latest: { id: i, fromUserId: user(i), content: 'm' } })) as never),
    db.collection('inbox_reads').insertMany(each((i) => ({ _id: 1_000_000 + i, upTo: 7_000_000 + i })) as never),
  ]);
}
