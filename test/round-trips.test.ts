import anyTest, { type TestFn } from 'ava';
import mongoose from 'mongoose';
import { closeDatabase, openDatabase } from '../models/db.js';
import { Favorite } from '../models/favorite.js';
import { Follow } from '../models/follow.js';
import { nextId } from '../models/ids.js';
import { register } from '../models/users.js';
import { feed, publish, publishedBy } from '../models/videos.js';
import { startTestStore } from './helpers/store.js';
import type { RunningStore } from '../server/store/embedded.js';

/**
 * Lists must cost a constant number of database round trips, whatever their length: counted here with
 * the driver's command monitoring, in-process against a real store.
 */
const test = anyTest.serial as TestFn<{ store: RunningStore; viewer: number; prolific: number; single: number }>;
const BASE = 'http://media.test';
let commands = 0;

test.before(async (t) => {
  const store = await startTestStore();
  await openDatabase(`${store.url}roundtrips`, { monitorCommands: true });
  mongoose.connection.getClient().on('commandStarted', () => (commands += 1));

  const viewer = await register('viewer', 'secret-1');
  const prolific = await register('prolific', 'secret-1');
  const single = await register('single', 'secret-1');
  const authors = await Promise.all(Array.from({ length: 29 }, (_, i) => register(`author${i}`, 'secret-1')));
  const videoIds: number[] = [];
  for (const authorId of [single, ...authors, ...Array(30).fill(prolific)]) {
    const id = nextId();
    videoIds.push(id);
    await publish({ id, authorId, title: `video ${id}`, videoKey: `videos/${id}.mp4`, coverKey: `covers/${id}.jpg` });
  }
  await Follow.create(authors.slice(0, 10).map((followeeId) => ({ _id: nextId(), followerId: viewer, followeeId })));
  await Favorite.create(videoIds.slice(0, 40).map((videoId) => ({ _id: nextId(), userId: viewer, videoId })));
  t.context = { store, viewer, prolific, single };
});

test.after.always(async (t) => {
  await closeDatabase();
  await t.context.store?.stop();
});

async function countCommands<T>(work: () => Promise<T>): Promise<{ result: T; commands: number }> {
  commands = 0;
  const result = await work();
  return { result, commands };
}

test('the feed costs the same round trips for 1 and for 30 videos, with a viewer and without', async (t) => {
  const { viewer } = t.context;
  for (const viewerId of [viewer, undefined]) {
    const one = await countCommands(() => feed({ limit: 1 }, viewerId, BASE));
    const thirty = await countCommands(() => feed({ limit: 30 }, viewerId, BASE));
    t.is(one.result.videos.length, 1);
    t.is(thirty.result.videos.length, 30);
    t.is(thirty.commands, one.commands, `viewer ${viewerId}`);
    t.true(thirty.commands <= 4, `${thirty.commands} round trips`);
  }
});

test('the flags in a long feed are right, so the batching does not trade correctness', async (t) => {
  const { viewer } = t.context;
  const { videos } = await feed({ limit: 30 }, viewer, BASE);
  t.true(videos.some((video) => video.is_favorite));
  t.true(videos.some((video) => !video.is_favorite));
  t.true(videos.every((video) => video.author.id > 0));
});

test('a publish list costs the same round trips for 1 and for 30 videos', async (t) => {
  const { viewer, prolific, single } = t.context;
  const one = await countCommands(() => publishedBy(single, { limit: 100 }, viewer, BASE));
  const thirty = await countCommands(() => publishedBy(prolific, { limit: 100 }, viewer, BASE));
  t.is(one.result.videos.length, 1);
  t.is(thirty.result.videos.length, 30);
  t.is(thirty.commands, one.commands);
  t.true(thirty.commands <= 5, `${thirty.commands} round trips`);
});
