import anyTest, { type TestFn } from 'ava';
import { Comment } from '../models/comment.js';
import { addComment } from '../models/comments.js';
import { closeDatabase, openDatabase } from '../models/db.js';
import { domainEvents, type DomainEvents } from '../models/events.js';
import { Favorite } from '../models/favorite.js';
import { favorite } from '../models/favorites.js';
import { Follow } from '../models/follow.js';
import { nextId } from '../models/ids.js';
import { Message } from '../models/message.js';
import { sendMessage } from '../models/messages.js';
import { follow } from '../models/relations.js';
import { register } from '../models/users.js';
import { publish } from '../models/videos.js';
import { startTestStore } from './helpers/store.js';
import type { RunningStore } from '../server/store/embedded.js';

/** The domain reports each change once, after its write is persisted, whoever called it. */
const test = anyTest.serial as TestFn<{ store: RunningStore; a: number; b: number; videoId: number }>;
const format = { mediaBase: 'http://media.test', formatDate: () => '01-01' };

test.before(async (t) => {
  const store = await startTestStore();
  await openDatabase(`${store.url}events`);
  const a = await register('alice', 'secret-1');
  const b = await register('bob', 'secret-1');
  const videoId = nextId();
  await publish({ id: videoId, authorId: b, title: 't', videoKey: `videos/${videoId}.mp4`, coverKey: `covers/${videoId}.jpg` });
  t.context = { store, a, b, videoId };
});

test.after.always(async (t) => {
  await closeDatabase();
  await t.context.store?.stop();
});

/** Runs `work` and returns the events of `name` it emitted, each with whether its record was already stored. */
async function recording<E extends keyof DomainEvents>(
  name: E,
  isStored: (...payload: DomainEvents[E]) => Promise<boolean>,
  work: () => Promise<unknown>,
): Promise<Array<{ payload: DomainEvents[E][0]; stored: boolean }>> {
  const seen: Array<Promise<{ payload: DomainEvents[E][0]; stored: boolean }>> = [];
  const listener = ((...payload: DomainEvents[E]) => {
    seen.push(isStored(...payload).then((stored) => ({ payload: payload[0], stored })));
  }) as never;
  domainEvents.on(name, listener);
  try {
    await work();
  } finally {
    domainEvents.off(name, listener);
  }
  return Promise.all(seen);
}

test('message:created follows the stored message, and a retry with the same client id emits nothing', async (t) => {
  const { a, b } = t.context;
  const stored = async ({ message }: DomainEvents['message:created'][0]) => (await Message.exists({ _id: message.id })) !== null;
  const events = await recording('message:created', stored, async () => {
    await sendMessage(a, b, 'hi', { requireFriendship: false, clientMsgId: 'x1' });
    await sendMessage(a, b, 'hi', { requireFriendship: false, clientMsgId: 'x1' });
  });
  t.is(events.length, 1);
  t.like(events[0], { stored: true, payload: { message: { fromUserId: a, toUserId: b, content: 'hi' } } });
});

test('follow:changed follows the stored edge, says whether the two are now friends, and repeats emit nothing', async (t) => {
  const { a, b } = t.context;
  const stored = async (event: DomainEvents['follow:changed'][0]) =>
    ((await Follow.exists({ followerId: event.follower._id, followeeId: event.followeeId })) !== null) === (event.actionType === 1);
  const events = await recording('follow:changed', stored, async () => {
    await follow(a, b, 1);
    await follow(a, b, 1);
    await follow(b, a, 1);
    await follow(a, b, 2);
    await follow(a, b, 2);
  });
  t.deepEqual(events.map((event) => [event.payload.follower._id === a ? 'a>b' : 'b>a', event.payload.actionType, event.payload.isFriend, event.stored, event.payload.follower.followCount]), [
    ['a>b', 1, false, true, 1],
    ['b>a', 1, true, true, 1],
    ['a>b', 2, false, true, 0],
  ], 'the follower as the write left it');
});

test('favorite:added follows the stored like, once; unliking emits nothing', async (t) => {
  const { a, b, videoId } = t.context;
  const stored = async (event: DomainEvents['favorite:added'][0]) => (await Favorite.exists({ userId: event.user._id, videoId: event.videoId })) !== null;
  const events = await recording('favorite:added', stored, async () => {
    await favorite(a, videoId, 1);
    await favorite(a, videoId, 1);
  });
  // Unliked once the check of the like's record is done: the check runs after the event, not with it.
  t.is((await recording('favorite:added', stored, () => favorite(a, videoId, 2))).length, 0);
  t.is(events.length, 1);
  t.like(events[0], { stored: true, payload: { videoId, user: { _id: a, favoriteCount: 1 }, authorId: b, favoriteCount: 1, origin: {} } }, 'with the counts the like made');
});

test('comment:added follows the stored comment', async (t) => {
  const { a, b, videoId } = t.context;
  const stored = async (event: DomainEvents['comment:added'][0]) => (await Comment.exists({ _id: event.comment._id })) !== null;
  const events = await recording('comment:added', stored, () => addComment(a, videoId, 'nice', format));
  t.is(events.length, 1);
  t.like(events[0], { stored: true, payload: { comment: { videoId, userId: a, content: 'nice' }, authorId: b, commentCount: 1 } });
});

test('notification:created follows the stored edge it is read from; repeats, undos and acting on one\'s own video emit nothing', async (t) => {
  const { a, b, videoId } = t.context;
  const edges = { favorite: Favorite, comment: Comment, follow: Follow } as const;
  const stored = async ({ notification }: DomainEvents['notification:created'][0]) =>
    (await (edges[notification.type] as typeof Favorite).exists({ _id: notification._id })) !== null;
  const events = await recording('notification:created', stored, async () => {
    await favorite(a, videoId, 1);
    await favorite(a, videoId, 1);
    await favorite(a, videoId, 2);
    await favorite(b, videoId, 1);
    await addComment(b, videoId, 'mine', format);
    await addComment(a, videoId, 'yours', format);
    await follow(a, b, 1);
    await follow(a, b, 1);
  });
  t.deepEqual(events.map(({ payload, stored }) => [payload.notification.type, payload.notification.actorId, payload.notification.recipientId, stored]), [
    ['favorite', a, b, true],
    ['comment', a, b, true],
    ['follow', a, b, true],
  ]);
});
