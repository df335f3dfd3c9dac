import { isDuplicateKey, storeLooksShared } from './ids.js';

/**
 * Moves a stored position forward: `write` is a `$max` with an upsert, `reached` reads whether the
 * stored position is there. FerretDB's updates are read-modify-write, so another process's update of
 * the same document at the same moment may write over ours: when processes share the store, ours is
 * read back and written again if it was lost (a few times at most). Alone on the store, no one can.
 */
export async function moveForward(write: () => Promise<unknown>, reached: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      await write();
    } catch (error) {
      if (!isDuplicateKey(error)) throw error; // created meanwhile: apply ours to it
      continue;
    }
    if (!storeLooksShared() || (await reached())) return;
  }
}
