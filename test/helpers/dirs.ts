import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A fresh directory under the system's temporary directory. Open to others for traversal (not
 * listing): when the tests run as root, the embedded PostgreSQL runs as the user postgres and must
 * reach its cluster inside.
 */
export function temporaryDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  chmodSync(dir, 0o711);
  return dir;
}
