import mongoose from 'mongoose';
import pLimit from 'p-limit';
import { InboxRead } from './notification.js';
import { fileUnshelvedEntries, RECEIVED_LISTS } from './shelved-upgrade.js';

/**
 * Before the inbox was read from the edges (inbox.ts), every notification was a document of its own
 * in `notifications`, with a read flag. The likes and comments stored then get their authors' shelves
 * (and a comment its video's author); each user's read notifications become a read position, the
 * newest of them (a notification's id was taken after its edge's: every edge before it was read); and
 * the collection goes. Idempotent.
 */
export async function deriveInboxFromEdges(): Promise<void> {
  await fileUnshelvedEntries(RECEIVED_LISTS);
  const db = mongoose.connection.db!;
  if (!(await db.listCollections({ name: 'notifications' }).hasNext())) return;
  const read = await db.collection<{ _id: number; recipientId: number }>('notifications').find({ read: true }, { projection: { recipientId: 1 } }).toArray();
  const positions = new Map<number, number>();
  for (const { _id, recipientId } of read) positions.set(recipientId, Math.max(positions.get(recipientId) ?? 0, _id));
  const limit = pLimit(8);
  await Promise.all([...positions].map(([userId, upTo]) =>
    limit(() => InboxRead.collection.updateOne({ _id: userId } as never, { $max: { upTo } }, { upsert: true }))));
  await db.collection('notifications').drop().catch((error: unknown) => {
    if ((error as { code?: number }).code !== NAMESPACE_NOT_FOUND) throw error; // dropped by a process starting beside this one
  });
}

const NAMESPACE_NOT_FOUND = 26;
