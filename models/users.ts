import { LRUCache } from 'lru-cache';
import { Refusal } from './errors.js';
import { cachedFollowed, cachedUsers } from './caches.js';
import { followeesOf } from './lists.js';
import { isDuplicateKey, nextId } from './ids.js';
import { checkPassword, hashPassword } from './passwords.js';
import { usernameSkeleton } from './look-alikes.js';
import { User, usernameKey, type UserRecord } from './user.js';
import { DEFAULT_AVATAR_PATH, DEFAULT_BACKGROUND_PATH, mediaUrl, type UserView } from './views.js';
import { foldsIn } from './fold-gate.js';
import { pendingCount } from './write-behind.js';

/**
 * A password already hashed with hashPassword: for registering many users who share one password (the
 * seed's), whose argon2 hash, made to cost ~50 ms of CPU, is then made once instead of per user.
 */
export interface HashedPassword {
  hash: string;
}

export async function register(username: string, password: string | HashedPassword): Promise<number> {
  const key = usernameKey(username);
  const skeleton = usernameSkeleton(username);
  await refuseTaken(key, skeleton);
  const id = nextId();
  try {
    await User.create({ _id: id, username, usernameKey: key, usernameSkeleton: skeleton, passwordHash: typeof password === 'string' ? await hashPassword(password) : password.hash });
  } catch (error) {
    // Two registrations of one name, or of look-alikes, raced past the check above: the unique indexes let one win.
    if (isDuplicateKey(error)) await refuseTaken(key, skeleton);
    throw error;
  }
  return id;
}

async function refuseTaken(key: string, skeleton: string): Promise<void> {
  const [same, lookAlike] = await Promise.all([User.exists({ usernameKey: key }), User.exists({ usernameSkeleton: skeleton })]);
  if (same) throw new Refusal('USERNAME_TAKEN');
  if (lookAlike) throw new Refusal('USERNAME_TAKEN', 'username looks like one already taken (letters of other scripts or look-alike characters): choose another');
}

/** The id of the user with these credentials; the same refusal whether the name or the password is wrong. */
export async function authenticate(username: string, password: string): Promise<number> {
  const user = await User.findOne({ usernameKey: usernameKey(username) }, { passwordHash: 1 }).lean();
  if (!(await checkPassword(user?.passwordHash, password))) throw new Refusal('WRONG_CREDENTIALS');
  return user!._id;
}

/**
 * Users that exist, remembered for a minute: every authenticated request and every message asks, and
 * accounts are never deleted through the API. A user removed behind the server's back is refused again
 * within a minute. Concurrent questions (a storm of socket handshakes) share one query.
 */
const existing = new LRUCache<number, true>({ max: 100_000, ttl: 60_000 });

export async function userExists(id: number): Promise<boolean> {
  if (existing.has(id)) return true;
  const found = (await cachedUsers([id])).has(id);
  if (found) existing.set(id, true);
  return found;
}

/**
 * Views of the given users as `viewerId` sees them, keyed by id; missing users are absent.
 * At most two round trips whatever the number of users, none when the records are cached.
 */
export async function userViews(
  ids: readonly number[],
  viewerId: number | undefined,
  mediaBase: string,
): Promise<Map<number, UserView>> {
  const unique = [...new Set(ids)];
  // The viewer's record comes in the same batch: its follow count decides how the flags are looked up.
  const [users, followed] = await Promise.all([
    cachedUsers(viewerId === undefined ? unique : [...unique, viewerId]),
    cachedFollowed(viewerId, unique.filter((id) => id !== viewerId)),
  ]);
  return new Map(unique.flatMap((id) => {
    const user = users.get(id);
    return user ? [[id, toView(user, followed.has(id), mediaBase)]] : [];
  }));
}

/** The view of a record the caller has (one an event carries, as its write left it) as `viewerId` sees it. */
export async function viewOfRecord(user: UserRecord, viewerId: number, mediaBase: string): Promise<UserView> {
  return toView(user, await followeesOf.has(viewerId, user._id), mediaBase, { asLeft: true });
}

/** A user's record as the writes of this process have left it (its counters written behind included), for an event. */
export async function recordAsLeft(id: number): Promise<UserRecord | undefined> {
  const user = (await cachedUsers([id])).get(id);
  return user && { ...user, ...Object.fromEntries(COUNTERS.map((field) => [field, withPending(user, field)])) };
}

const COUNTERS = ['followCount', 'followerCount', 'totalFavorited', 'workCount', 'favoriteCount'] as const;

function withPending(user: UserRecord, field: (typeof COUNTERS)[number]): number {
  return user[field] + pendingCount(`users:${user._id}`, field, foldsIn(user));
}

export async function userView(id: number, viewerId: number | undefined, mediaBase: string): Promise<UserView> {
  const view = (await userViews([id], viewerId, mediaBase)).get(id);
  if (!view) throw new Refusal('USER_NOT_FOUND');
  return view;
}

/** `asLeft`: the record's counters are final (an event's); otherwise they are the stored ones, to which this process's pending changes add. */
function toView(user: UserRecord, isFollow: boolean, mediaBase: string, { asLeft = false } = {}): UserView {
  const count = (field: (typeof COUNTERS)[number]) => (asLeft ? user[field] : withPending(user, field));
  return {
    id: user._id,
    name: user.username,
    follow_count: count('followCount'),
    follower_count: count('followerCount'),
    is_follow: isFollow,
    avatar: mediaUrl(mediaBase, user.avatar ?? DEFAULT_AVATAR_PATH),
    background_image: mediaUrl(mediaBase, user.backgroundImage ?? DEFAULT_BACKGROUND_PATH),
    signature: user.signature ?? '',
    total_favorited: count('totalFavorited'),
    work_count: count('workCount'),
    favorite_count: count('favoriteCount'),
  };
}
