/**
 * Who is online is the realtime gateway's to know (its sockets, on every process); views of friends
 * ask through this hook, which the gateway sets. Without a gateway nobody is online.
 */
type OnlineLookup = (userIds: readonly number[]) => Promise<Set<number>>;

let lookup: OnlineLookup = async () => new Set();

export function decideOnline(check: OnlineLookup | undefined): void {
  lookup = check ?? (async () => new Set());
}

/** The subset of `userIds` online now; nobody when it cannot be told (Redis down). */
export async function onlineAmong(userIds: readonly number[]): Promise<Set<number>> {
  if (userIds.length === 0) return new Set();
  return lookup(userIds).catch(() => new Set<number>());
}
