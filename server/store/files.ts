import { access, constants } from 'node:fs/promises';
import path from 'node:path';

/** Whether `file` exists (and, with `mode`, is accessible that way). */
export async function exists(file: string, mode = constants.F_OK): Promise<boolean> {
  return access(file, mode).then(() => true, () => false);
}

/** The path of an executable `command` on PATH, like `which`. */
export async function onPath(command: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, command);
    if (await exists(candidate, constants.X_OK)) return candidate;
  }
  return undefined;
}
