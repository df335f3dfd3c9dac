/** A window per key in this process: the first event of a key within `ms` passes, the others do not. */
export function memoryWindow(ms: number): { first(key: string): Promise<boolean> } {
  const last = new Map<string, number>();
  return {
    async first(key) {
      const now = Date.now();
      if (last.size > 10_000) for (const [known, at] of last) if (now - at >= ms) last.delete(known);
      if (now - (last.get(key) ?? -Infinity) < ms) return false;
      last.set(key, now);
      return true;
    },
  };
}
