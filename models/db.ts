import { EventEmitter } from 'node:events';
import mongoose from 'mongoose';
import { Comment } from './comment.js';
import { flush, useReadModifyWriteUpdates } from './counters.js';
import { carryDeadlinesToStore, DeadlineExceeded, Overloaded } from './deadline.js';
import { Favorite } from './favorite.js';
import { fileUnfiledVideos } from './feed-hours.js';
import { HourEntry } from './hour-index.js';
import { Follow } from './follow.js';
import { startIds, stopIds } from './ids.js';
import { UnconfirmedWrite } from './write-batch.js';
import { PendingChange, startWriteBehind, stopWriteBehind } from './write-behind.js';
import { useEqualityQueries } from './lookups.js';
import { Conversation, Message } from './message.js';
import { fileUnfiledMessages } from './messages.js';
import { nameConversationUsers } from './reads.js';
import { fileUsernameSkeletons } from './look-alikes.js';
import { upgradeOnce } from './upgrades.js';
import { fileUnshelvedEntries } from './shelved-upgrade.js';
import { startShelves, stopShelves } from './shelves.js';
import { User } from './user.js';
import { Video } from './video.js';
import { InboxRead } from './notification.js';
import { deriveInboxFromEdges } from './inbox-upgrade.js';
import { startRevocations, stopRevocations } from './revocations.js';
import { RevokedToken } from './revoked-token.js';

const models = [User, Follow, Video, Favorite, Comment, Message, Conversation, HourEntry, InboxRead, PendingChange, RevokedToken];

/** How long an operation may wait for the store's reply. */
export const STORE_REPLY_TIMEOUT_MS = 10_000;

/** Every command sent to the store, by name and collection (with `monitorCommands`): the store_commands_total metric. */
export const storeCommands = new EventEmitter<{ command: [name: string, collection: string] }>();

/** Connects, makes sure every index exists (the unique ones guard correctness), and leases an id worker slot. */
export async function openDatabase(url: string, options: { monitorCommands?: boolean } = {}): Promise<void> {
  // Operations started for a request carry what is left of its budget as timeoutMS (deadline.ts).
  carryDeadlinesToStore();
  // Mongoose otherwise keeps every query's stack (`new Error().stack`) for the message of a query run
  // twice: about 35 µs of CPU per query under --enable-source-maps, and more the deeper the stack.
  mongoose.set('skipOriginalStackTraces', true);
  await mongoose.connect(url, {
    ...options,
    serverSelectionTimeoutMS: 5_000,
    // A store that accepts connections but stops answering (frozen, overloaded) must not hold
    // requests: the driver's heartbeat gives up on it after connectTimeoutMS (default 30 s), marks
    // it unavailable and fails what is in flight; and no single operation waits for its reply
    // longer than socketTimeoutMS. Either way the answer is 50001. (Operations made for a request
    // are bounded by its deadline instead, deadline.ts; these bound background work.)
    connectTimeoutMS: 5_000,
    socketTimeoutMS: STORE_REPLY_TIMEOUT_MS,
    // Fail fast while the store is unreachable instead of queueing requests behind it.
    bufferCommands: false,
    autoIndex: false,
  });
  if (options.monitorCommands) {
    mongoose.connection.getClient().on('commandStarted', (event) => storeCommands.emit('command', event.commandName, String(event.command[event.commandName])));
  }
  // Before the indexes: the unique one on usernameSkeleton needs every user's filed first.
  await upgradeOnce('username-skeletons', fileUsernameSkeletons);
  // Every collection made now: a store creating one at its first write (FerretDB: a table and its
  // catalogue entry) holds up the other writes meanwhile, for a few hundred milliseconds.
  await Promise.all(models.map(async (model) => {
    await model.createCollection();
    await model.createIndexes();
  }));
  await upgradeOnce('feed-hours', fileUnfiledVideos);
  await upgradeOnce('message-hours', fileUnfiledMessages);
  await upgradeOnce('conversation-users', nameConversationUsers);
  await upgradeOnce('owner-shelves', () => fileUnshelvedEntries());
  await upgradeOnce('inbox-from-edges', deriveInboxFromEdges);
  await startShelves();
  await startIds();
  const ferretdb = await isFerretdb();
  useReadModifyWriteUpdates(ferretdb);
  useEqualityQueries(ferretdb);
  await startWriteBehind();
  await startRevocations();
}

/**
 * FerretDB applies updates as read-modify-write (concurrent $inc on one document can lose one) and
 * pushes only equality filters down to its backend (lookups.ts).
 */
async function isFerretdb(): Promise<boolean> {
  const info = await mongoose.connection.db!.admin().command({ buildInfo: 1 });
  return 'ferretdbVersion' in info;
}

export async function closeDatabase(): Promise<void> {
  stopRevocations();
  stopShelves();
  await stopWriteBehind().then(flush);
  await stopIds().catch(() => undefined);
  await mongoose.disconnect();
}

/** True for errors that mean the store cannot be reached right now (as opposed to a bad request). */
export function isStoreUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  // MongoNetworkError covers timeouts and operations failed because the driver lost the store
  // (its pool cleared: a frozen store); MongoOperationTimeoutError, an operation that ran out of its
  // request's budget; DeadlineExceeded and Overloaded, a request that did, or was refused at once.
  return error instanceof mongoose.mongo.MongoNetworkError
    || error instanceof mongoose.mongo.MongoOperationTimeoutError
    || error instanceof DeadlineExceeded
    || error instanceof Overloaded
    || error instanceof UnconfirmedWrite
    || /^Mongo(ose)?(ServerSelection|NotConnected|TopologyClosed)Error$/.test(error.name)
    || error.message.includes('buffering is disabled')
    || error.message.includes('Client must be connected')
    || lostItsBackend(error)
    || failedUnder(error)
    || connectionBroken(error);
}

/**
 * The driver writing a command to a connection the store has just closed (killed) can let Node's own
 * socket error through unwrapped ("This socket has been ended by the other party", EPIPE).
 */
function connectionBroken(error: Error): boolean {
  const { code } = error as NodeJS.ErrnoException;
  return code === 'EPIPE' || code === 'ECONNRESET';
}

/**
 * A bulk write (the batched inserts and updates) that failed as a whole: the driver wraps the
 * error that stopped it (the store unreachable, an operation out of time) in a MongoBulkWriteError.
 */
function failedUnder(error: Error): boolean {
  if (error.name !== 'MongoBulkWriteError') return false;
  const cause = (error as { errorResponse?: unknown }).errorResponse ?? error.cause;
  return cause !== error && isStoreUnavailable(cause);
}

/**
 * FerretDB answering that its PostgreSQL went away (killed, restarting): an InternalError naming the
 * broken connection. FerretDB stops by itself when its PostgreSQL dies, but answers like this for
 * the few seconds that takes.
 */
function lostItsBackend(error: Error): boolean {
  if (!(error instanceof mongoose.mongo.MongoServerError)) return false;
  // PostgreSQL's own codes for a server going away, passed on by FerretDB: class 08 (connection
  // exceptions) and 57P01-57P03 (shut down, crashed: "terminating connection due to unexpected
  // postmaster exit", starting up).
  if (/SQLSTATE (08[0-9A-Z]{3}|57P0[1-3])/.test(error.message)) return true;
  return error.code === 1 && /failed to connect|connection refused|broken pipe|conn closed|unexpected EOF|connection reset/i.test(error.message);
}

/**
 * Whether the store answers a ping within `timeoutMs`: the driver gives up on it then (client-side
 * timeout, nothing left waiting). FerretDB answers a ping only through its PostgreSQL, so a frozen
 * PostgreSQL behind a live FerretDB fails it too.
 */
export async function pingDatabase(timeoutMs = 2_000): Promise<boolean> {
  const db = mongoose.connection.db;
  if (!db || mongoose.connection.readyState !== 1) return false;
  return db.admin().command({ ping: 1 }, { timeoutMS: timeoutMs }).then(() => true, () => false);
}
