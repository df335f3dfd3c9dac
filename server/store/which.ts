import { access, constants } from 'node:fs/promises';
import path from 'node:path';

/** The path of an executable `command` on PATH, like `which`. */
export async function onPath(command: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, command);
    if (await access(candidate, constants.X_OK).then(() => true, () => false)) return candidate;
  }
  return undefined;
}
