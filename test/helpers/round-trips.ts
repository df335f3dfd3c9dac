import mongoose from 'mongoose';
import { forgetEverything } from '../../models/caches.js';
import { addComment, commentList } from '../../models/comments.js';
import { flush } from '../../models/counters.js';
import { fold } from '../../models/write-behind.js';
import { openDatabase } from '../../models/db.js';
import { Favorite } from '../../models/favorite.js';
import { favoriteList } from '../../models/favorites.js';
import { Follow } from '../../models/follow.js';
import { nextId } from '../../models/ids.js';
import { notificationList } from '../../models/inbox.js';
import { lookupEvents } from '../../models/lookups.js';
import { chatHistory, sendMessage } from '../../models/messages.js';
import { follow, followerList, followList, friendList } from '../../models/relations.js';
import { register } from '../../models/users.js';
import { feed, publish, publishedBy } from '../../models/videos.js';

/**
 * A data set where every list has a "single" owner (one entry) and a "prolific" one (thirty), and a
 * counter of the database commands the driver sends: lists must cost the same round trips for both.
 */
export interface RoundTripData {
  viewer: number;
  prolific: number;
  single: number;
  busyVideo: number;
  quietVideo: number;
}

const BASE = 'http://media.test';
const format = { mediaBase: BASE, formatDate: () => '01-01' };
let commands = 0;
/** Commands sent, each counted (equality queries sent together too). */
let queries = 0;
const HOUSEKEEPING = new Set(['worker_leases', 'pending_changes', 'revoked_tokens']);

/** Opens `mongoUrl` with command monitoring and fills it. */
export async function seedRoundTripData(mongoUrl: string): Promise<RoundTripData> {
  await openDatabase(mongoUrl, { monitorCommands: true });
  // The id worker's lease renewal, the folding of counters and the reading of logged-out tokens are this process's housekeeping, not part of any list.
  // So is the look for shelves begun lately (models/shelves.ts), once a second.
  mongoose.connection.getClient().on('commandStarted', (event) => {
    if (HOUSEKEEPING.has(event.command[event.commandName]) || event.command.filter?.tick !== undefined) return;
    commands += 1;
    queries += 1;
  });
  const viewer = await register('viewer', 'secret-1');
  const prolific = await register('prolific', 'secret-1');
  const single = await register('single', 'secret-1');
  const authors = await Promise.all(Array.from({ length: 29 }, (_, i) => register(`author${i}`, 'secret-1')));
  const videoIds: number[] = [];
  for (const authorId of [single, ...authors, ...Array<number>(30).fill(prolific)]) {
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
  // Unread messages in friends' chats: the friend list counts them (and each entry's read positions).
  await sendMessage(authors[0]!, single, 'unread', { requireFriendship: false });
  for (const other of [...authors, viewer]) await sendMessage(other, prolific, `unread from ${other}`, { requireFriendship: false });
  await Favorite.create(videoIds.slice(0, 30).map((videoId) => ({ _id: nextId(), userId: prolific, videoId, authorId: viewer })));
  await Favorite.create({ _id: nextId(), userId: single, videoId: videoIds[0], authorId: viewer });
  const [busyVideo, quietVideo] = [videoIds[0]!, videoIds[1]!];
  for (let i = 0; i < 30; i += 1) await addComment(authors[i % authors.length]!, busyVideo, `comment ${i}`, format);
  await addComment(authors[0]!, quietVideo, 'lonely', format);
  await fold(); // settle what the seeding wrote behind, and the recounts it scheduled, so they do not run while we count
  await flush();
  return { viewer, prolific, single, busyVideo, quietVideo };
}

// The equality queries a lookup sends at once on FerretDB (models/lookups.ts) travel together: one round trip.
lookupEvents.on('batch', (queries) => (commands -= queries - 1));

/** Runs `work`, with empty caches (the worst case) unless `warm`, and counts its round trips to the store and the commands they carried. */
export async function countCommands<T>(work: () => Promise<T>, { warm = false } = {}): Promise<{ result: T; commands: number; queries: number }> {
  if (!warm) forgetEverything();
  commands = 0;
  queries = 0;
  const result = await work();
  return { result, commands, queries };
}

export type Owner = 'single' | 'prolific';

/** Every list endpoint's model call, for the single or the prolific owner, as the viewer sees it. */
export const LISTS: Array<[string, (data: RoundTripData, who: Owner) => Promise<readonly unknown[]>]> = [
  ['feed', async (d, who) => (await feed({ limit: who === 'single' ? 1 : 30 }, d.viewer, BASE)).videos],
  ['feed (anonymous)', async (_d, who) => (await feed({ limit: who === 'single' ? 1 : 30 }, undefined, BASE)).videos],
  ['publish list', async (d, who) => (await publishedBy(d[who], { limit: 100 }, d.viewer, BASE)).videos],
  ['follow list', async (d, who) => (await followList(d[who], { limit: 100 }, d.viewer, BASE)).users],
  ['follower list', async (d, who) => (await followerList(d[who], { limit: 100 }, d.viewer, BASE)).users],
  ['friend list', async (d, who) => (await friendList(d[who], { limit: 100 }, BASE)).users],
  ['favorite list', async (d, who) => (await favoriteList(d[who], { limit: 100 }, d.viewer, BASE)).videos],
  ['comment list', async (d, who) => (await commentList(who === 'single' ? d.quietVideo : d.busyVideo, { limit: 100 }, d.viewer, format)).comments],
  ['chat history', (d, who) => chatHistory(d.viewer, d[who], { limit: 100 })],
  // The single owner has a follow and thirty comments on their video (from seeding): a page of 1, or of all 31.
  ['notification list', async (d, who) => (await notificationList(d.single, { limit: who === 'single' ? 1 : 31 }, format)).notifications],
];
