import anyTest, { type TestFn } from 'ava';
import mongoose, { mongo } from 'mongoose';
import { addComment, deleteComment } from '../models/comments.js';
import { closeDatabase, openDatabase, storeCommands } from '../models/db.js';
import { decideAudience } from '../models/events.js';
import { Favorite } from '../models/favorite.js';
import { favorite } from '../models/favorites.js';
import { Follow } from '../models/follow.js';
import { nextId } from '../models/ids.js';
import { sendMessage } from '../models/messages.js';
import { follow } from '../models/relations.js';
import { register } from '../models/users.js';
import { publish } from '../models/videos.js';
import { fold, stopWriteBehind } from '../models/write-behind.js';
import type { RunningStore } from '../server/store/embedded.js';
import { startTestStore } from './helpers/store.js';

/**
 * What a write costs the store, counted on the wire (the driver's command events): a burst of writes
 * of one kind, as concurrent clients send them, and the fold of the counters they changed, against a
 * real store. Hot writes must average at most two store commands each. Nobody is listening here, as
 * on a lone server without the recipients' sockets: a live event may also read the actor's record.
 */
interface Context {
  store: RunningStore;
  users: number[];
  videos: number[];
}
const test = anyTest.serial as TestFn<Context>;
const BURST = 32;
const format = { mediaBase: 'http://media.test', formatDate: () => '01-01' };

let commands: string[] = [];
storeCommands.on('command', (name, collection) => {
  if (collection !== 'worker_leases' && collection !== 'revoked_tokens') commands.push(`${name} ${collection}`);
});

test.before(async (t) => {
  const store = await startTestStore();
  await openDatabase(`${store.url}writecosts`, { monitorCommands: true });
  await stopWriteBehind(); // folds only when a test asks: no timer's fold among the commands counted
  decideAudience(() => false);
  const users = await Promise.all(Array.from({ length: BURST * 2 }, (_, i) => register(`writer${i}`, 'secret-1')));
  const videos = Array.from({ length: 8 }, () => nextId());
  for (const [i, id] of videos.entries()) await publish({ id, authorId: users[i]!, title: `video ${i}`, videoKey: `videos/${id}.mp4`, coverKey: `covers/${id}.jpg` });
  await fold();
  t.context = { store, users, videos };
});

test.after.always(async (t) => {
  decideAudience(undefined);
  await closeDatabase();
  await t.context.store?.stop();
});

/**
 * Runs a warm-up burst (round 0: the caches and inboxes a running server has), then the measured one
 * (round 1) and the fold that follows it; returns the commands sent, per write.
 */
async function perWrite(burst: (round: 0 | 1) => Array<() => Promise<unknown>>): Promise<{ perWrite: number; sent: string[] }> {
  await Promise.all(burst(0).map((write) => write()));
  await fold();
  commands = [];
  const writes = burst(1);
  await Promise.all(writes.map((write) => write()));
  await fold();
  return { perWrite: commands.length / writes.length, sent: commands };
}

const each = <T>(count: number, make: (i: number) => T) => Array.from({ length: count }, (_, i) => make(i));

test('likes and unlikes: at most two store commands each, folding included', async (t) => {
  const { users, videos } = t.context;
  const video = (i: number, round: number) => videos[(i + round) % videos.length]!;
  const likes = await perWrite((round) => each(BURST, (i) => () => favorite(users[BURST + i]!, video(i, round), 1)));
  t.true(likes.perWrite <= 2, `${likes.perWrite} per like: ${likes.sent.join(', ')}`);
  const unlikes = await perWrite((round) => each(BURST, (i) => () => favorite(users[BURST + i]!, video(i, round), 2)));
  t.true(unlikes.perWrite <= 2, `${unlikes.perWrite} per unlike: ${unlikes.sent.join(', ')}`);
});

test('follows and unfollows: at most two store commands each', async (t) => {
  const { users } = t.context;
  const followee = (i: number, round: number) => users[(i + round) % BURST]!;
  const follows = await perWrite((round) => each(BURST, (i) => () => follow(users[BURST + i]!, followee(i, round), 1)));
  t.true(follows.perWrite <= 2, `${follows.perWrite} per follow: ${follows.sent.join(', ')}`);
  const unfollows = await perWrite((round) => each(BURST, (i) => () => follow(users[BURST + i]!, followee(i, round), 2)));
  t.true(unfollows.perWrite <= 2, `${unfollows.perWrite} per unfollow: ${unfollows.sent.join(', ')}`);
});

test('comments and their deletion: at most two store commands each', async (t) => {
  const { users, videos } = t.context;
  const added: Array<Array<{ id: number; videoId: number; userId: number }>> = [[], []];
  const comments = await perWrite((round) => each(BURST, (i) => async () => {
    const [userId, videoId] = [users[BURST + i]!, videos[(i + round) % videos.length]!];
    added[round]!.push({ id: (await addComment(userId, videoId, `comment ${i}`, format)).id, videoId, userId });
  }));
  t.true(comments.perWrite <= 2, `${comments.perWrite} per comment: ${comments.sent.join(', ')}`);
  const deletions = await perWrite((round) => added[round]!.map(({ id, videoId, userId }) => () => deleteComment(userId, videoId, id, format)));
  t.true(deletions.perWrite <= 2, `${deletions.perWrite} per deletion: ${deletions.sent.join(', ')}`);
});

test('chat messages: at most two store commands each', async (t) => {
  const { users } = t.context;
  const messages = await perWrite((round) => each(BURST, (i) => () => sendMessage(users[BURST + i]!, users[(i + round) % BURST]!, `hello ${i}`, { requireFriendship: false, clientMsgId: `m${round}-${i}` })));
  t.true(messages.perWrite <= 2, `${messages.perWrite} per message: ${messages.sent.join(', ')}`);
});

test('a chat message waits for one store command, its insert: its generation is marked once, by the first message sent in it, and a new hour is filed at once with it', async (t) => {
  const { users } = t.context;
  const [alice, bob, carol] = [users[BURST + 7]!, users[7]!, users[20]!]; // Alice and Carol have not talked yet
  await sendMessage(alice, bob, 'warm', { requireFriendship: false }); // the users looked up, the hours filed
  await fold();
  commands = [];
  for (let i = 0; i < 3; i += 1) await sendMessage(alice, bob, `one at a time ${i}`, { requireFriendship: false });
  t.deepEqual(commands, ['insert pending_changes', 'insert messages', 'insert messages', 'insert messages']);

  const timeline: string[] = [];
  const driver = mongoose.connection.getClient();
  const ours = new Set<number>(); // not the id lease's renewals and sharing checks, on timers of their own
  const started = (event: mongo.CommandStartedEvent) => {
    if (event.command[event.commandName] === 'worker_leases') return;
    ours.add(event.requestId);
    timeline.push(`sent ${event.commandName} ${event.command[event.commandName]}`);
  };
  const answered = (event: mongo.CommandSucceededEvent) => ours.has(event.requestId) && timeline.push('answered');
  driver.on('commandStarted', started).on('commandSucceeded', answered);
  t.teardown(() => driver.off('commandStarted', started).off('commandSucceeded', answered));
  await sendMessage(alice, carol, 'a conversation begun', { requireFriendship: false });
  t.deepEqual(timeline, ['sent insert messages', 'sent insert hours', 'answered', 'answered'], 'the conversation\'s hour filed as the message is sent, not before');
});

test('a like or a follow repeated (a double tap, a retry) costs one lookup and stores nothing', async (t) => {
  const { users, videos } = t.context;
  const [fan, star, videoId] = [users[BURST + 5]!, users[3]!, videos[7]!];
  await favorite(fan, videoId, 1);
  await follow(fan, star, 1);
  await fold();
  commands = [];
  await favorite(fan, videoId, 1);
  await follow(fan, star, 1);
  t.deepEqual(commands, ['find favorites', 'find follows']);
});

test('a like or a follow removed on another process since this one stored it is stored again', async (t) => {
  const { users, videos } = t.context;
  const [fan, star, videoId] = [users[BURST + 6]!, users[4]!, videos[6]!];
  await favorite(fan, videoId, 1);
  await follow(fan, star, 1);
  // As another process's unlike and unfollow would: this process still remembers storing them.
  await Favorite.deleteOne({ userId: fan, videoId });
  await Follow.deleteOne({ followerId: fan, followeeId: star });
  await favorite(fan, videoId, 1);
  await follow(fan, star, 1);
  t.truthy(await Favorite.exists({ userId: fan, videoId }));
  t.truthy(await Follow.exists({ followerId: fan, followeeId: star }));
});
