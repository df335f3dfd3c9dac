import { LRUCache } from 'lru-cache';

/**
 * Edges (likes, follows) this process has seen stored lately, as hints. An action repeated (a double
 * tap, a client's retry, a load test toggling at random) is checked with one point lookup instead of
 * being inserted: a duplicate in a batched insert costs FerretDB the whole batch, as it retries every
 * document of it one by one (`npm run bench:write-ops`: 16 inserts with one duplicate, 0.77 ms of
 * store CPU each instead of 0.08; the lookup 0.65). A hint may be stale (the edge removed on another
 * process): the lookup decides. About 100 bytes a hint.
 */
export function edgeHints(max = 100_000) {
  const stored = new LRUCache<string, true>({ max });
  return {
    seen: (key: string): boolean => stored.has(key),
    stored: (key: string): void => void stored.set(key, true),
    removed: (key: string): void => void stored.delete(key),
  };
}
