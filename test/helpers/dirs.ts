import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A fresh directory under the system's temporary directory, removed when the test process exits.
 * Open to others for traversal (not listing): when the tests run as root, the embedded PostgreSQL
 * runs as the user postgres and must reach its cluster inside.
 */
export function temporaryDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  chmodSync(dir, 0o711);
  made.push(dir);
  return dir;
}

const made: string[] = [];
process.once('exit', () => {
  for (const dir of made) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
    } catch {
      // a store killed with its test may still write there for a moment: left for the system
    }
  }
});

/** Removes a data directory whose store may still be shutting down (a killed server's PostgreSQL writes on for a moment). */
export function removeDataDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 250 });
}
