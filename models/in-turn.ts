/**
 * Runs the work given for one key one at a time in this process, in the order given. FerretDB's
 * updates are read-modify-write: two at once on one document (two `$inc`, two `$max`) can lose one.
 */
const turns = new Map<string, Promise<unknown>>();

export function inTurn<T>(key: string, work: () => Promise<T>): Promise<T> {
  const mine = (turns.get(key) ?? Promise.resolve()).then(work);
  const settled = mine.catch(() => undefined);
  turns.set(key, settled);
  void settled.then(() => {
    if (turns.get(key) === settled) turns.delete(key);
  });
  return mine;
}
