import test from 'ava';
import mongoose from 'mongoose';
import { forgetEverything } from '../models/caches.js';
import { Comment } from '../models/comment.js';
import { addComment, commentList, deleteComment } from '../models/comments.js';
import { closeDatabase, openDatabase } from '../models/db.js';
import { Favorite } from '../models/favorite.js';
import { Follow } from '../models/follow.js';
import { nextId } from '../models/ids.js';
import { followerList, followList, friendList } from '../models/relations.js';
import { fileShelves, sizeOwnerLists, type ListName } from '../models/shelves.js';
import { User } from '../models/user.js';
import { userView } from '../models/users.js';
import { publish, publishedBy } from '../models/videos.js';
import { startTestStore } from './helpers/store.js';

/**
 * Issue 23: a request about a popular owner costs the same store work whatever the owner's size. Two
 * worlds of owners, with 200 and 2,000 entries in each list (shelves of 16, lists over 64 not kept
 * whole), and each request's documents returned and commands counted with every cache empty but the
 * shelf directories (read once per owner and process).
 */
const SHELF = 16;
const BASE = 'http://media.test';
const format = { mediaBase: BASE, formatDate: () => '01-01' };

let documents = 0;
let commands = 0;

function countReplies(): void {
  const client = mongoose.connection.getClient();
  // The look for shelves begun lately (once a second, shared by every request) is housekeeping.
  const housekeeping = new Set<number>();
  const itsCursors = new Set<string>();
  client.on('commandStarted', (event) => {
    if (event.command.filter?.tick !== undefined || itsCursors.has(String(event.command.getMore))) housekeeping.add(event.requestId);
    else commands += 1;
  });
  client.on('commandSucceeded', (event) => {
    if (housekeeping.delete(event.requestId)) {
      itsCursors.add(String((event.reply as { cursor?: { id?: unknown } }).cursor?.id));
      return;
    }
    const reply = event.reply as { cursor?: { firstBatch?: unknown[]; nextBatch?: unknown[] }; n?: number };
    documents += reply.cursor?.firstBatch?.length ?? reply.cursor?.nextBatch?.length ?? (event.commandName === 'count' ? reply.n ?? 0 : 0);
  });
}

async function user(name: string): Promise<number> {
  const _id = nextId();
  await User.collection.insertOne({ _id, username: name, usernameKey: name, usernameSkeleton: name, passwordHash: 'x', followCount: 0, followerCount: 0, totalFavorited: 0, workCount: 0, favoriteCount: 0 } as never);
  return _id;
}

/** Entries of one owner filed in shelves of SHELF in the past, as the upgrade files them; their ids, oldest first. */
async function fileOwner(model: mongoose.Model<any>, list: ListName, owner: number, shelfField: string, docs: Array<Record<string, unknown>>): Promise<number[]> {
  const ids = docs.map(() => nextId());
  await fileShelves(list, owner, ids.filter((_, i) => i > 0 && i % SHELF === 0));
  await model.collection.insertMany(docs.map((doc, i) => ({ ...doc, _id: ids[i], [shelfField]: `${owner}:${Math.floor(i / SHELF)}` })) as never[]);
  return ids;
}

async function world(size: number, crowd: readonly number[]) {
  const [star, fan, author] = await Promise.all([user(`star${size}`), user(`fan${size}`), user(`author${size}`)]);
  const people = crowd.slice(0, size);
  const video = async () => {
    const id = nextId();
    await publish({ id, authorId: author, title: `v${id}`, videoKey: `videos/${id}.mp4`, coverKey: `covers/${id}.jpg` });
    return id;
  };
  const [talked, liked] = [await video(), await video()];
  const comments = await fileOwner(Comment, 'comments', talked, 'shelf', people.map((userId, i) => ({ videoId: talked, userId, content: `c${i}`, createdAt: 0 })));
  await Favorite.collection.insertMany(people.map((userId) => ({ _id: nextId(), userId, videoId: liked, authorId: author, shelf: `${userId}:0` })) as never[]);
  const followers = await fileOwner(Follow, 'followers', star, 'followerShelf', people.map((followerId) => ({ followerId, followeeId: star, followShelf: `${followerId}:0` })));
  const follows = await fileOwner(Follow, 'follows', fan, 'followShelf', people.map((followeeId) => ({ followerId: fan, followeeId, followerShelf: `${followeeId}:0` })));
  // The fan's first ten follows follow back: friends.
  await Follow.collection.insertMany(people.slice(0, 10).map((followerId) => ({ _id: nextId(), followerId, followeeId: fan, followShelf: `${followerId}:0`, followerShelf: `${fan}:0` })) as never[]);
  const deep = (ids: number[]) => ids[Math.floor(ids.length / 3)]!;
  const viewer = people[5]!;
  return {
    'comment list, first page': () => commentList(talked, { limit: 30 }, undefined, format),
    'comment list, deep page': () => commentList(talked, { limit: 30, before: deep(comments) }, viewer, format),
    'follower list of the star, deep page': () => followerList(star, { limit: 30, before: deep(followers) }, viewer, BASE),
    'follow list of the fan, first page': () => followList(fan, { limit: 30 }, viewer, BASE),
    'follow list of the fan, deep page': () => followList(fan, { limit: 30, before: deep(follows) }, viewer, BASE),
    'follower list of the star as the fan sees it (is_follow)': () => followerList(star, { limit: 30 }, fan, BASE),
    'friend list of the fan': () => friendList(fan, { limit: 30 }, BASE),
    'publish list with the liked video (is_favorite of a liker)': () => publishedBy(author, { limit: 30 }, viewer, BASE),
    'user info of the star (is_follow of a follower)': () => userView(star, viewer, BASE),
  };
}

async function cost(request: () => Promise<unknown>): Promise<{ documents: number; commands: number }> {
  await request(); // the owners' shelf directories
  forgetEverything();
  [documents, commands] = [0, 0];
  await request();
  return { documents, commands };
}

let store: Awaited<ReturnType<typeof startTestStore>>;
const crowd: number[] = [];

test.before(async () => {
  store = await startTestStore();
  sizeOwnerLists({ shelf: SHELF, maxEntries: 64 });
  await openDatabase(`${store.url}popular_costs`, { monitorCommands: true });
  for (let i = 0; i < 2_000; i += 1) crowd.push(nextId());
  await User.collection.insertMany(crowd.map((_id) => ({ _id, username: `u${_id}`, usernameKey: `u${_id}`, usernameSkeleton: `u${_id}`, passwordHash: 'x', followCount: 1, followerCount: 1, totalFavorited: 0, workCount: 0, favoriteCount: 1 })) as never[]);
  countReplies();
});

test.after.always(async () => {
  await closeDatabase();
  await store?.stop();
});

test.serial('requests about popular owners cost the same store work for 200 and 2,000 entries', async (t) => {
  const [small, big] = [await world(200, crowd), await world(2_000, crowd)];
  for (const [name, request] of Object.entries(small)) {
    const [few, many] = [await cost(request), await cost(big[name as keyof typeof big])];
    t.log(`${name}: ${few.documents} / ${many.documents} documents, ${few.commands} / ${many.commands} commands`);
    // A deep page may straddle one more shelf in one world than in the other.
    t.true(many.documents <= few.documents + 2 * SHELF, `${name}: ${many.documents} documents for 2,000 entries, ${few.documents} for 200`);
    t.true(many.commands <= few.commands + 2, `${name}: ${many.commands} commands for 2,000 entries, ${few.commands} for 200`);
  }
});

test.serial('a comment on a popular video forgets only the shelf it lands in, and a deletion only its own: other pages read before are not read again', async (t) => {
  const author = await user('busy-author');
  const video = nextId();
  await publish({ id: video, authorId: author, title: 'busy', videoKey: `videos/${video}.mp4`, coverKey: `covers/${video}.jpg` });
  const ids = await fileOwner(Comment, 'comments', video, 'shelf', crowd.slice(0, 640).map((userId, i) => ({ videoId: video, userId, content: `c${i}`, createdAt: 0 })));
  const pageBefore = (id: number) => () => commentList(video, { limit: 10, before: id }, undefined, format);
  const [deep, deeper] = [pageBefore(ids[400]!), pageBefore(ids[100]!)];
  const costOf = async <T>(request: () => Promise<T>) => {
    [documents, commands] = [0, 0];
    const result = await request();
    return { result, documents, commands };
  };
  await deep();
  await deeper();

  const added = await addComment(crowd[0]!, video, 'the newest', format);
  const [first, deepAgain, deeperAgain] = [await costOf(pageBefore(Infinity)), await costOf(deep), await costOf(deeper)];
  t.log(`after a comment: first page ${first.documents} documents, deep pages ${deepAgain.documents} and ${deeperAgain.documents}`);
  t.is(first.result.comments[0]?.id, added.id, 'the new comment heads the first page');
  t.is(deepAgain.documents + deeperAgain.documents, 0, 'the deep pages were kept');

  const victim = deepAgain.result.comments[3]!.id;
  await deleteComment(author, video, victim, format);
  const [afterDelete, deeperAfterDelete] = [await costOf(deep), await costOf(deeper)];
  t.log(`after a deletion: its page ${afterDelete.documents} documents, another shelf's page ${deeperAfterDelete.documents}`);
  t.false(afterDelete.result.comments.some((comment) => comment.id === victim), 'the deleted comment is gone from its page');
  t.true(afterDelete.documents > 0, 'its shelf was read again');
  t.is(deeperAfterDelete.documents, 0, 'another shelf was kept');
});
