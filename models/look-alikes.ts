import unhomoglyph from 'unhomoglyph';
import { setEach } from './upgrades.js';
import { User, usernameKey } from './user.js';

/**
 * The confusable skeleton of a username (Unicode TR39, section 4): its case-folded form (usernameKey)
 * decomposed, each character replaced by the prototype it is confusable with (confusables.txt, through
 * unhomoglyph), decomposed again. Names that look alike share it: "ѕeed_001" (a Cyrillic ѕ) and
 * "seed_001", "paypal" and "рaypal", "user1" and "userl", "rn" and "m". Not for display.
 */
export function usernameSkeleton(username: string): string {
  return unhomoglyph(usernameKey(username).normalize('NFD')).normalize('NFD');
}

/**
 * Files the skeleton of every user registered before it was kept (an upgrade, before the unique index on
 * it is made). Of existing users whose names already look alike, the first registered keeps the plain
 * skeleton and the others get theirs suffixed with their id: nobody loses an account, and new look-alikes
 * of any of them are refused.
 */
export async function fileUsernameSkeletons(): Promise<void> {
  const users = await User.find({}, { username: 1, usernameSkeleton: 1 }).lean();
  const taken = new Set(users.flatMap((user) => user.usernameSkeleton ?? []));
  const unfiled = users.filter((user) => user.usernameSkeleton == null).sort((a, b) => a._id - b._id);
  const changes = unfiled.map(({ _id, username }) => {
    const skeleton = usernameSkeleton(username);
    const filed = taken.has(skeleton) ? `${skeleton}#${_id}` : skeleton;
    taken.add(filed);
    return { _id, set: { usernameSkeleton: filed } };
  });
  await setEach(User, changes);
}
