import { readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import type { ServerProcess } from './server.js';

/** Every file under the server's upload spool (DATA_DIR/uploads). */
export async function spooled(dataDir: string): Promise<string[]> {
  const entries = await readdir(path.join(dataDir, 'uploads'), { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
}

/** The files under `dir` that a server process holds open. */
export async function openUnder(server: ServerProcess, dir: string): Promise<string[]> {
  const fds = `/proc/${server.child.pid!}/fd`;
  const targets = await Promise.all((await readdir(fds)).map((fd) => readlink(path.join(fds, fd)).catch(() => '')));
  return targets.filter((target) => target.startsWith(dir));
}
