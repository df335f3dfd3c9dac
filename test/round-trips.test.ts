import anyTest, { type TestFn } from 'ava';
import mongoose from 'mongoose';
import { flush } from '../models/counters.js';
import { closeDatabase, openDatabase } from '../models/db.js';
import { Favorite } from '../models/favorite.js';
import { Follow } from '../models/follow.js';
import { nextId } from '../models/ids.js';
import { register } from '../models/users.js';
import { feed, publish, publishedBy } from '../models/videos.js';
import { commentList, addComment } from '../models/comments.js';
import { favoriteList } from '../models/favorites.js';
import { chatHistory, sendMessage } from '../models/messages.js';
import { follow, followList, followerList, friendList } from '../models/relations.js';
import { startTestStore } from './helpers/store.js';
import type { RunningStore } from '../server/store/embedded.js';

/**
 * Lists must cost a constant number of database round trips, whatever their length: counted here with
 * the driver's command monitoring, in-process against a real store.
 */
interface Context {
  store: RunningStore;
  viewer: number;
  prolific: number;
  single: number;
  authors: number[];
  busyVideo: number;
  quietVideo: number;
}
const test = anyTest.serial as TestFn<Context>;
const format = { mediaBase: 'http://media.test', formatDate: () => '01-01' };
const BASE = 'http://media.test';
let commands = 0;

test.before(async (t) => {
  const store = await startTestStore();
  await openDatabase(`${store.url}roundtrips`, { monitorCommands: true });
  // The id worker's lease renewal is this process's housekeeping, not part of any list.
  mongoose.connection.getClient().on('commandStarted', (event) => {
    if (event.command[event.commandName] !== 'worker_leases') commands += 1;
  });

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
  await Favorite.create(videoIds.slice(0, 40).map((videoId) => ({ _id: nextId(), userId: viewer, videoId, authorId: viewer })));
  // single: one follow each way, one like, one message, none of them with the viewer. prolific: thirty of each.
  for (const other of [...authors, viewer]) {
    await follow(prolific, other, 1);
    await follow(other, prolific, 1);
    await sendMessage(prolific, viewer, `hello ${other}`, { requireFriendship: false });
  }
  await follow(single, authors[0]!, 1);
  await follow(authors[0]!, single, 1);
  await sendMessage(single, viewer, 'hello', { requireFriendship: false });
  await Favorite.create(videoIds.slice(0, 30).map((videoId) => ({ _id: nextId(), userId: prolific, videoId, authorId: viewer })));
  await Favorite.create({ _id: nextId(), userId: single, videoId: videoIds[0], authorId: viewer });
  const [busyVideo, quietVideo] = [videoIds[0]!, videoIds[1]!];
  for (let i = 0; i < 30; i += 1) await addComment(authors[i % authors.length]!, busyVideo, `comment ${i}`, format);
  await addComment(authors[0]!, quietVideo, 'lonely', format);
  await flush(); // settle the background recounts the seeding scheduled, so they do not run while we count
  t.context = { store, viewer, prolific, single, authors, busyVideo, quietVideo };
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

const lists: Array<[string, (c: Context, who: 'single' | 'prolific') => Promise<unknown[]>]> = [
  ['follow list', async (c, who) => (await followList(c[who], { limit: 100 }, c.viewer, BASE)).users],
  ['follower list', async (c, who) => (await followerList(c[who], { limit: 100 }, c.viewer, BASE)).users],
  ['friend list', async (c, who) => (await friendList(c[who], { limit: 100 }, BASE)).users],
  ['favorite list', async (c, who) => (await favoriteList(c[who], { limit: 100 }, c.viewer, BASE)).videos],
  ['comment list', async (c, who) => (await commentList(who === 'single' ? c.quietVideo : c.busyVideo, { limit: 100 }, c.viewer, format)).comments],
  ['chat history', (c, who) => chatHistory(c.viewer, c[who], { limit: 100 })],
];

for (const [name, list] of lists) {
  test(`the ${name} costs the same round trips for 1 and for 30 entries`, async (t) => {
    const one = await countCommands(() => list(t.context, 'single'));
    const many = await countCommands(() => list(t.context, 'prolific'));
    t.is(one.result.length, 1);
    t.true(many.result.length >= 30, `${many.result.length} entries`);
    t.is(many.commands, one.commands);
    t.true(many.commands <= 6, `${many.commands} round trips`);
  });
}
