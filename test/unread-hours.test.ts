import test from 'ava';
import { closeDatabase, openDatabase } from '../models/db.js';
import { HOUR_MS, HourEntry, hourOf } from '../models/hour-index.js';
import { idFloor } from '../models/ids.js';
import { Message, pairKey } from '../models/message.js';
import { unreadCounts } from '../models/unread.js';
import { startTestStore } from './helpers/store.js';

test('closed hours are counted once and kept on their entries; counts stay exact around the read position', async (t) => {
  const store = await startTestStore();
  t.teardown(async () => {
    await closeDatabase();
    await store.stop();
  });
  await openDatabase(`${store.url}unreadhours`);
  const [me, peer] = [1_001, 1_002];
  const pair = pairKey(me, peer);
  const now = Date.now();
  const docs = [];
  // Ten hours ago to now: 3 messages an hour from the peer, 1 from me.
  for (let back = 10; back >= 0; back -= 1) {
    for (let i = 0; i < 4; i += 1) {
      const createdAt = now - back * HOUR_MS + i;
      const [from, to] = i < 3 ? [peer, me] : [me, peer];
      docs.push({ _id: idFloor(createdAt) + i, fromUserId: from, toUserId: to, pair, content: 'x', createdAt, hour: hourOf(createdAt) });
    }
  }
  await Message.collection.insertMany(docs as never[]);
  const hours = [...new Set(docs.map((doc) => doc.hour))];
  await HourEntry.collection.insertMany(hours.map((hour) => ({ _id: `pair:${pair}:${hour}`, key: `pair:${pair}`, hour })) as never[]);

  const fromPeer = docs.filter((doc) => doc.toUserId === me);
  t.is((await unreadCounts([{ readerId: me, peerId: peer, readId: 0 }])).get(peer), fromPeer.length);
  await new Promise((resolve) => setTimeout(resolve, 500)); // the closed hours' counts are written behind
  const counted = await HourEntry.find({ key: `pair:${pair}`, n: { $exists: true } }).lean();
  t.true(counted.length >= 8, `${counted.length} hours counted`);
  t.true(counted.every((entry) => (entry as { n?: Record<string, number> }).n![String(me)] === 3));
  for (const position of [0, 5, 17, 30, fromPeer.length - 1]) {
    const readId = fromPeer[position]!._id;
    const expected = fromPeer.filter((doc) => doc._id > readId).length;
    t.is((await unreadCounts([{ readerId: me, peerId: peer, readId }])).get(peer), expected, `read up to #${position}`);
    t.is((await unreadCounts([{ readerId: peer, peerId: me, readId: 0 }])).get(me), 11, 'my messages, unread by the peer');
  }
});
