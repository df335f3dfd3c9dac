import { LRUCache } from 'lru-cache';
import mongoose, { Schema } from 'mongoose';
import { forget, type Changes as CacheChanges } from './caches.js';
import { recountTargets, recountWhenShared } from './counters.js';
import { foldExclusively } from './fold-gate.js';
import { hourOf } from './hour-index.js';
import { idFloor, idTime, isGone, nextId, PROCESS_ID } from './ids.js';
import { findAny } from './lookups.js';
import { Conversation, fileMessageHours, Message, pairUsers, type MessageDoc } from './message.js';
import { User } from './user.js';
import { Video } from './video.js';
import { batchedInserts, bulkWrite, MAX_STATEMENTS } from './write-batch.js';

/**
 * Counters (likes, follows, comments, works) and each conversation's latest message, written behind.
 *
 * On FerretDB an update costs about 2 ms of store CPU whatever it changes (it reads, modifies and
 * writes back the whole document and its indexes), while an insert batched with others costs a
 * tenth of that (`npm run bench:write-ops`). So a write records the changes it makes to counters as
 * one small document in `pending_changes` (batched inserts, stored before the write itself), and
 * every FOLD_MS the process folds what it recorded: one update per counted document, however many
 * writes changed it; then it removes the records it folded. Until then views add the changes not
 * folded yet to what the store says (`pendingCount`): this process's own, exactly (fold-gate.ts),
 * and those other processes announce over Redis until they fold them.
 *
 * Nothing is lost, and nothing is counted twice:
 * - a change that its write did not make (a repeated like) is dropped; one whose write failed without
 *   an answer (the store went away) is settled by recounting its documents;
 * - a process that dies leaves its records; the next start (or any process, once the dead one's id
 *   lease has expired) recounts the documents they name and then removes them. A recount counts the
 *   edges and subtracts the changes still to be folded, which their own processes will add.
 *
 * A message records nothing of its own (a chat message waits for one command, not two): it carries
 * its generation (`g`), and the generation's first message stores a mark of it. A process that
 * dies leaves the mark; its recovery finds the generation's messages by `g`, files their hours and
 * keeps the latest of each of their conversations, as the fold does for messages whose write failed.
 */
export const FOLD_MS = 5_000;
const RECOVERY_EVERY_MS = 60_000;

export type CounterTarget = `users:${number}` | `videos:${number}`;
export interface CounterChange {
  target: CounterTarget;
  field: string;
  step: 1 | -1;
}
export interface Latest {
  id: number;
  fromUserId: number;
  content: string;
}
export interface Changes {
  counters?: readonly CounterChange[];
  /** A conversation's new latest message, by pair key. */
  latest?: { pair: string; message: Latest };
}

/**
 * The changes of one write to counters (target, field, step); or the mark of a generation in which
 * messages were sent (`m`): those carry the generation (`g` of messages), so the conversations whose
 * latest message it had to keep are found from them.
 */
interface PendingDoc {
  _id: number;
  /** The process that recorded it (PROCESS_ID), the generation it folds in, and its slice of that (PACED_SIZE records each). */
  o: string;
  g: number;
  s: number;
  c: Array<{ t: CounterTarget; f: string; n: 1 | -1 }>;
  m?: 1;
  /** A conversation's latest message: the record of one message, as versions before the marks wrote them. */
  l?: { pair: string; message: Latest };
}

export const PendingChange = mongoose.model(
  'PendingChange',
  // Deliberately without secondary indexes: the collection holds only what is not folded yet (about
  // FOLD_MS of writes), and every index would be paid for on each insert.
  new Schema({ _id: Number, o: String, g: Number, s: Number, c: Array, m: Number, l: Object }, { versionKey: false, collection: 'pending_changes' }),
);

interface Generation {
  id: number;
  /** Per counter target, per field: the sum of the changes made (their writes succeeded). */
  made: Totals;
  /** The same for changes recorded whose write has not answered yet. */
  inflight: Totals;
  latest: Map<string, Latest>;
  /** Targets whose write failed without an answer: recounted at the fold. */
  uncertain: Set<CounterTarget>;
  /** A message's write failed without an answer: the fold settles the generation's messages from the store. */
  uncertainMessages: boolean;
  /** Changes recorded whose write has not settled; the fold waits for them. */
  open: number;
  /** Records made in the store. */
  records: number;
  /** The generation's mark (messages were sent in it), once made or being made. */
  marked?: Promise<void>;
  drained?: () => void;
  /** Per target folded: the fold count (fold-gate.ts) of records that hold its changes. */
  foldedInto: Map<CounterTarget, number>;
  /** When the generation was folded, all of it. */
  folded?: { at: number };
}

/**
 * Folded generations, kept a while: a record read before a fold (in a cache, or in a request that
 * read it just before) is shown with the changes that fold made. At least as long as a record is
 * cached (caches.HEARD_TTL_MS).
 */
const HISTORY_MS = 30_000;
const history: Generation[] = [];

/**
 * What other processes made and have not folded yet, by their generation (relayed through Redis by
 * server/cache-relay.ts): views here add it too. Dropped when the fold is announced, or after
 * REMOTE_MS if it never is (the process died: its changes are recovered from the store).
 */
const REMOTE_MS = 10_000;
const remote = new Map<number, { made: Totals; latest: Map<string, Latest>; at: number }>();

const insertPending = batchedInserts<PendingDoc>(PendingChange);
let current = newGeneration();
/** Generations recorded but not yet folded, oldest first (the current one last). */
const unfolded: Generation[] = [current];
let chain: Promise<unknown> = Promise.resolve();
let timers: NodeJS.Timeout[] = [];

function newGeneration(): Generation {
  return { id: 0, made: new Map(), inflight: new Map(), latest: new Map(), uncertain: new Set(), uncertainMessages: false, open: 0, records: 0, foldedInto: new Map() };
}

/**
 * Records `counters`, then runs `write`, which makes them: they count when it resolves true, not when it
 * resolves false (it changed nothing), and are settled by a recount when it throws. What the caches
 * forget once it is made, `forgetting`, may be a function: what a delete removed is known after it.
 */
export function changing(changes: { counters: readonly CounterChange[] }, write: () => Promise<boolean>, forgetting: CacheChanges | (() => CacheChanges) = {}): Promise<boolean> {
  return inGeneration(async (generation) => void (await insertPending(pendingDoc(changes, generation))), changes, write, forgetting);
}

/**
 * Runs `write`, which stores a message (with `g`, the generation it is given) and makes it its
 * conversation's latest. Nothing is recorded per message: the generation's mark, made once before its
 * first message, tells a recovery to look for its messages (by `g`), so a message costs one command.
 */
export function sending(latest: { pair: string; message: Latest }, write: (generation: number) => Promise<boolean>): Promise<boolean> {
  return inGeneration(markMessages, { latest }, write);
}

async function inGeneration(
  record: (generation: Generation) => Promise<void>,
  changes: Changes,
  write: (generation: number) => Promise<boolean>,
  forgetting: CacheChanges | (() => CacheChanges) = {},
): Promise<boolean> {
  const generation = current;
  generation.id ||= nextId();
  generation.open += 1;
  try {
    await record(generation);
  } catch (error) {
    settle(generation);
    throw error;
  }
  sum(generation.inflight, changes.counters, 1);
  let made = false;
  try {
    made = await write(generation.id);
    return made;
  } catch (error) {
    changes.counters?.forEach((change) => generation.uncertain.add(change.target));
    if (changes.latest) generation.uncertainMessages = true;
    throw error;
  } finally {
    sum(generation.inflight, changes.counters, -1);
    if (made) {
      sum(generation.made, changes.counters, 1);
      if (changes.latest) keepNewest(generation.latest, changes.latest.pair, changes.latest.message);
      forget({ ...(typeof forgetting === 'function' ? forgetting() : forgetting), counted: { generation: generation.id, ...changes } });
    }
    settle(generation);
  }
}

/** The generation's mark, made by its first message (again by the next, if storing it failed). */
function markMessages(generation: Generation): Promise<void> {
  generation.marked ??= insertPending({ ...pendingDoc({}, generation), m: 1 }).then(
    () => undefined,
    (error: unknown) => {
      generation.marked = undefined;
      throw error;
    },
  );
  return generation.marked;
}

/**
 * `changing` for a delete that returns what it removed (`findOneAndDelete`): resolves to it, or to
 * undefined when there was nothing to remove. What the caches forget may depend on it.
 */
export async function removing<T>(changes: { counters: readonly CounterChange[] }, remove: () => Promise<T | undefined>, forgetting: (removed: T | undefined) => CacheChanges): Promise<T | undefined> {
  let removed: T | undefined;
  await changing(changes, async () => (removed = await remove()) !== undefined, () => forgetting(removed));
  return removed;
}

function pendingDoc(changes: Changes, generation: Generation): PendingDoc {
  const counters = (changes.counters ?? []).map(({ target, field, step }) => ({ t: target, f: field, n: step }));
  const slice = Math.floor(generation.records++ / PACED_SIZE);
  return { _id: nextId(), o: PROCESS_ID, g: generation.id, s: slice, c: counters };
}

type Totals = Map<CounterTarget, Map<string, number>>;

function sum(into: Totals, counters: readonly CounterChange[] | undefined, sign: 1 | -1): void {
  for (const { target, field, step } of counters ?? []) addTo(into, target, field, sign * step);
}

function addTo(into: Totals, target: CounterTarget, field: string, amount: number): void {
  const fields = into.get(target) ?? new Map<string, number>();
  fields.set(field, (fields.get(field) ?? 0) + amount);
  into.set(target, fields);
}

function keepNewest(latest: Map<string, Latest>, pair: string, message: Latest): void {
  const known = latest.get(pair);
  if (!known || known.id < message.id) latest.set(pair, message);
}

function settle(generation: Generation): void {
  generation.open -= 1;
  if (generation.open === 0) generation.drained?.();
}

/**
 * What a record read after `folds` folds (fold-gate.ts) does not hold of a counter: the changes made
 * here since, and those other processes announced and have not folded. Views add it to the record's value.
 */
export function pendingCount(target: CounterTarget, field: string, folds: number): number {
  let total = 0;
  for (const generation of [...history, ...unfolded]) {
    const into = generation.foldedInto.get(target);
    if (into === undefined || into > folds) total += generation.made.get(target)?.get(field) ?? 0;
  }
  for (const generation of remote.values()) total += generation.made.get(target)?.get(field) ?? 0;
  return total;
}

/** The newest message of a conversation recorded lately, here or elsewhere (a `$max` with the stored one is always right). */
export function pendingLatest(pair: string): Latest | undefined {
  const latest = new Map<string, Latest>();
  for (const generation of [...history, ...unfolded, ...remote.values()]) {
    const candidate = generation.latest.get(pair);
    if (candidate) keepNewest(latest, pair, candidate);
  }
  return latest.get(pair);
}

/** Another process made these changes (`counted`) or folded a generation (`folded`): relayed cache changes. */
export function rememberRemote(changes: CacheChanges): void {
  const now = Date.now();
  for (const [generation, { at }] of remote) if (now - at > REMOTE_MS) remote.delete(generation);
  if (changes.folded !== undefined) remote.delete(changes.folded);
  const counted = changes.counted;
  if (!counted) return;
  const entry = remote.get(counted.generation) ?? { made: new Map(), latest: new Map(), at: now };
  sum(entry.made, counted.counters, 1);
  if (counted.latest) keepNewest(entry.latest, counted.latest.pair, counted.latest.message);
  remote.set(counted.generation, entry);
}

/**
 * The latest messages other processes recorded and have not folded, read from their marks: a process
 * that joins them (its cache relay) learns what they announced before it listened. Without it, a read
 * marked here within FOLD_MS of a message would stop short of it. (Their counters show at their fold:
 * records of writes that changed nothing, a repeated like, are not told apart.)
 */
export async function learnUnfoldedElsewhere(): Promise<void> {
  const marks = { o: { $ne: PROCESS_ID }, $or: [{ m: 1 }, { l: { $exists: true } }] };
  const records = await PendingChange.find(marks, { g: 1, m: 1, l: 1 }).lean<Array<Pick<PendingDoc, 'g' | 'm' | 'l'>>>();
  for (const message of await messagesRecorded(records)) {
    rememberRemote({ counted: { generation: message.generation, latest: { pair: message.pair, message: message.latest } } });
  }
}

type SentMessage = Pick<MessageDoc, 'pair' | 'fromUserId' | 'toUserId' | 'hour'> & { generation: number; latest: Latest };

/**
 * The stored messages of the generations these records mark (and of the records of single messages
 * earlier versions wrote): those their processes had to make the latest of their conversations.
 */
async function messagesRecorded(records: ReadonlyArray<Pick<PendingDoc, 'g' | 'm' | 'l'>>): Promise<SentMessage[]> {
  const named = new Map(records.flatMap((doc) => (doc.l ? [[doc.l.message.id, doc.g] as const] : [])));
  const generations = [...new Set(records.filter((doc) => doc.m).map((doc) => doc.g))];
  const filters = [...generations.flatMap(messagesOfGeneration), ...[...named.keys()].map((id) => ({ _id: id }))];
  const found = await findAny<Pick<MessageDoc, 'pair' | 'fromUserId' | 'toUserId' | 'content' | 'hour' | 'g'> & { _id: number }>(
    Message,
    filters,
    { pair: 1, fromUserId: 1, toUserId: 1, content: 1, hour: 1, g: 1 },
  );
  return found.map(({ _id, g, pair, fromUserId, toUserId, content, hour }) => ({
    generation: g ?? named.get(_id)!,
    pair,
    fromUserId,
    toUserId,
    hour,
    latest: { id: _id, fromUserId, content },
  }));
}

/**
 * What a message's write may have left undone when it failed, or its process died: its hours filed,
 * its conversation's latest message kept. Returns the conversations.
 */
async function settleMessages(messages: readonly SentMessage[]): Promise<string[]> {
  const latest = new Map<string, Latest>();
  for (const message of messages) keepNewest(latest, message.pair, message.latest);
  await Promise.all(messages.map(fileMessageHours));
  await keepLatest(latest);
  return [...latest.keys()];
}

/**
 * Filters for the messages of one generation, each an equality on `hour` and `g` (FerretDB's indexes
 * serve the hour). A message of it takes its id in the turn it joins the generation, so no id is more
 * than a moment older than the generation's; a message's time may be older by a retry (messages.ts),
 * never by an hour. The id floor is what MongoDB's `_id` index serves.
 */
function messagesOfGeneration(generation: number): Array<Record<string, unknown>> {
  const began = idTime(generation);
  const hour = hourOf(began);
  return [hour - 1, hour, hour + 1].map((h) => ({ hour: h, g: generation, _id: { $gte: idFloor(began - 1_000) } }));
}

/** Starts folding every FOLD_MS and looking for what dead processes left; recovers what is left now. */
export async function startWriteBehind(): Promise<void> {
  await recoverOrphans();
  timers = [
    setInterval(() => void fold().catch(() => undefined), FOLD_MS).unref(),
    setInterval(() => void betweenFolds(recoverOrphans).catch(() => undefined), RECOVERY_EVERY_MS).unref(),
  ];
}

/** Folds everything recorded so far (at shutdown, and in tests); resolves when it is in the store. */
export async function stopWriteBehind(): Promise<void> {
  timers.forEach(clearInterval);
  timers = [];
  await fold();
}

/**
 * Runs `work` between folds: the one writer of counters in this process, so that no two updates of a
 * document overlap (FerretDB's updates are read-modify-write: two at once can lose one).
 */
export function betweenFolds<T>(work: () => Promise<T>): Promise<T> {
  const turn = chain.catch(() => undefined).then(work);
  chain = turn;
  return turn;
}

/** Folds what was recorded until now (and anything an earlier failure left). */
export function fold(): Promise<void> {
  if (current.id !== 0) {
    current = newGeneration();
    unfolded.push(current);
  }
  return betweenFolds(async () => {
    while (unfolded.length > 1) {
      const generation = unfolded[0]!;
      if (generation.open > 0) await new Promise<void>((resolve) => (generation.drained = resolve));
      await foldGeneration(generation);
      history.push(unfolded.shift()!);
    }
    while (history.length > 0 && Date.now() - history[0]!.folded!.at > HISTORY_MS) history.shift();
  });
}

async function foldGeneration(generation: Generation): Promise<void> {
  const counted = [...generation.made.keys()];
  if (!generation.folded) {
    await foldCounters(generation);
    generation.folded = { at: Date.now() };
  }
  if (generation.uncertain.size > 0) {
    await recountTargets([...generation.uncertain], { resolving: () => false });
    generation.uncertain.clear();
  }
  await keepLatest(generation.latest);
  const settled = generation.uncertainMessages ? await settleMessages(await messagesRecorded([{ g: generation.id, m: 1 }])) : [];
  const slices = Array.from({ length: Math.ceil(generation.records / PACED_SIZE) }, (_, slice) => slice);
  await paced(slices, (slice) => PendingChange.deleteMany({ o: PROCESS_ID, g: generation.id, s: slice }));
  const changed = { users: idsOf('users', counted), videos: idsOf('videos', counted) };
  // Records here know which folds they hold (fold-gate.ts) and conversations take the newest message
  // known (pendingLatest): only the other processes forget what they have.
  forget({ ...changed, conversations: [...generation.latest.keys(), ...settled], folded: generation.id }, { elsewhereOnly: true });
  recountWhenShared(changed);
}

/**
 * The fold's work on many documents (removing a generation's records, storing new conversations)
 * goes PACED_SIZE documents per command, PACE_MS apart: one large command, a few hundred
 * milliseconds of the store's CPU at once, delays every request meanwhile (push latency's tail).
 * The pauses of one step add up to PACE_BUDGET_MS at most, so that a fold keeps up at any rate.
 */
const PACED_SIZE = 100;
const PACE_MS = 20;
const PACE_BUDGET_MS = 1_000;

async function paced<T>(items: readonly T[], work: (item: T) => Promise<unknown>): Promise<void> {
  const pause = Math.min(PACE_MS, PACE_BUDGET_MS / items.length);
  for (const [i, item] of items.entries()) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, pause));
    await work(item);
  }
}

function chunksOf<T>(items: readonly T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
}

/** The ids of `kind` among counter targets. */
export function idsOf(kind: 'users' | 'videos', targets: readonly CounterTarget[]): number[] {
  return targets.flatMap((target) => (target.startsWith(`${kind}:`) ? [Number(target.slice(kind.length + 1))] : []));
}

/**
 * Adds the generation's changes to the counters, MAX_STATEMENTS documents at a time, each command
 * alone with no read of users or videos in flight (fold-gate.ts): reads wait for one command, not
 * for the whole fold. A command that fails may or may not have been applied: its documents and all
 * those after it are recounted instead.
 */
async function foldCounters(generation: Generation): Promise<void> {
  const chunks = [...counterChunks(User, 'users', generation.made), ...counterChunks(Video, 'videos', generation.made)];
  for (const [i, chunk] of chunks.entries()) {
    try {
      const into = await foldExclusively(() => bulkWrite(chunk.model, chunk.operations));
      for (const target of chunk.targets) generation.foldedInto.set(target, into);
    } catch {
      for (const target of chunks.slice(i).flatMap((rest) => rest.targets)) {
        generation.uncertain.add(target);
        generation.made.delete(target);
      }
      return;
    }
  }
}

function counterChunks(model: typeof User | typeof Video, kind: 'users' | 'videos', made: Totals) {
  const entries = [...made].flatMap(([target, fields]) => {
    const inc = Object.fromEntries([...fields].filter(([, total]) => total !== 0));
    if (!target.startsWith(`${kind}:`) || Object.keys(inc).length === 0) return [];
    return [{ target, operation: { updateOne: { filter: { _id: Number(target.slice(kind.length + 1)) }, update: { $inc: inc } } } }];
  });
  return chunksOf(entries, MAX_STATEMENTS).map((chunk) => ({ model, targets: chunk.map((entry) => entry.target), operations: chunk.map((entry) => entry.operation) }));
}

/**
 * Keeps each conversation's latest message. A conversation not known to be stored is inserted with it
 * (batched inserts cost a tenth of an update on FerretDB, and most folds of a busy chat service meet
 * conversations begun since the last); one stored already, here or by another process, gets `$max`:
 * documents compare field by field, so the one with the highest message `id` (its first field) wins,
 * whichever process folds first.
 */
async function keepLatest(latest: ReadonlyMap<string, Latest>): Promise<void> {
  const entries = [...latest];
  const fresh = entries.filter(([pair]) => !storedConversations.has(pair));
  const inserted = new Set<string>();
  await paced(chunksOf(fresh, PACED_SIZE), async (chunk) => {
    const outcomes = await Promise.all(chunk.map(([pair, message]) => insertConversation({ _id: pair, latest: latestOf(message), ...usersOf(pair) })));
    chunk.forEach(([pair], i) => outcomes[i] === 'inserted' && inserted.add(pair));
  });
  await maxLatest(entries.filter(([pair]) => !inserted.has(pair)));
  for (const [pair] of entries) storedConversations.set(pair, true);
}

/** Conversations this process knows are stored (they are never removed). */
const storedConversations = new LRUCache<string, true>({ max: 100_000 });
const insertConversation = batchedInserts<{ _id: string; latest: Latest; a: number; b: number }>(Conversation);
const latestOf = (message: Latest): Latest => ({ id: message.id, fromUserId: message.fromUserId, content: message.content });

async function maxLatest(entries: ReadonlyArray<[string, Latest]>): Promise<void> {
  const operations = entries.map(([pair, message]) => ({
    updateOne: {
      filter: { _id: pair },
      update: { $max: { latest: latestOf(message) }, $set: usersOf(pair) },
      upsert: true,
    },
  }));
  if (operations.length === 0) return;
  try {
    await bulkWrite(Conversation, operations);
  } catch (error) {
    // Two first messages raced to create a conversation: the loser's $max applies to the winner's now.
    if ((error as { code?: number }).code !== 11000 && !String(error).includes('E11000')) throw error;
    await bulkWrite(Conversation, operations);
  }
}

function usersOf(pair: string): { a: number; b: number } {
  const [a, b] = pairUsers(pair);
  return { a, b };
}

/** Conversations of `userId` with a message recorded lately, here or elsewhere, which the store may not have yet. */
export function pendingPairsOf(userId: number): string[] {
  const pairs = new Set<string>();
  for (const generation of [...history, ...unfolded, ...remote.values()]) {
    for (const pair of generation.latest.keys()) if (pairUsers(pair).includes(userId)) pairs.add(pair);
  }
  return [...pairs];
}

/**
 * What processes that are gone left pending: their counters are recounted, their latest messages kept
 * if stored, and their records removed. Run at start, before this process writes, and every minute.
 */
export async function recoverOrphans(): Promise<number> {
  const left = await PendingChange.find({ o: { $ne: PROCESS_ID } }).lean<PendingDoc[]>();
  const owners = [...new Set(left.map((doc) => doc.o))];
  const gone = new Set((await Promise.all(owners.map(async (owner) => ((await isGone(owner)) ? [owner] : [])))).flat());
  const orphans = left.filter((doc) => gone.has(doc.o));
  if (orphans.length === 0) return 0;
  const targets = [...new Set(orphans.flatMap((doc) => doc.c.map((change) => change.t)))];
  await recountTargets(targets, { resolving: (doc) => gone.has(doc.o) });
  const conversations = await settleMessages(await messagesRecorded(orphans));
  await Promise.all([...gone].map((owner) => PendingChange.deleteMany({ o: owner })));
  forget({ conversations });
  return orphans.length;
}

export interface Unfolded {
  /** By target and field: what a recount subtracts from the edges it counts. */
  totals: Totals;
  /** Targets that other processes' records name (not being resolved). */
  elsewhere: Set<CounterTarget>;
}

/**
 * The changes to counters still to be folded, by target and field, that a recount subtracts from the
 * edges it counts (their writes may be counted already; their folds will add them again): other
 * processes' records in the store, except those being resolved, and this process's own in memory
 * (its records in the store include changes its writes did not make, as do the others': so a
 * recount that can wait leaves the targets in `elsewhere` for later).
 */
export async function pendingForRecount(resolving: (doc: PendingDoc) => boolean): Promise<Unfolded> {
  const totals: Totals = new Map();
  const elsewhere = new Set<CounterTarget>();
  const others = await PendingChange.find({ o: { $ne: PROCESS_ID } }).lean<PendingDoc[]>();
  for (const doc of others) {
    if (resolving(doc)) continue;
    for (const { t, f, n } of doc.c) {
      addTo(totals, t, f, n);
      elsewhere.add(t);
    }
  }
  for (const generation of unfolded) {
    if (generation.folded) continue; // in the store already; its records are being removed
    for (const counts of [generation.made, generation.inflight]) {
      for (const [target, fields] of counts) for (const [field, total] of fields) addTo(totals, target, field, total);
    }
  }
  return { totals, elsewhere };
}

export type { PendingDoc };
