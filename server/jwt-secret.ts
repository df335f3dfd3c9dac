import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Where a server started without JWT_SECRET keeps the secret it made, inside DATA_DIR. */
export const SECRET_FILE = 'jwt-secret';

/**
 * The HMAC key of the tokens: JWT_SECRET when set, otherwise a random secret made once for this
 * data directory and kept there, readable by its owner only. Every process sharing the directory
 * reads the same file; the first to start creates it atomically (written aside, then hard-linked
 * into place, so no process ever reads a half-written secret).
 */
export async function jwtSecret(configured: string | undefined, dataDir: string): Promise<{ secret: string; source: string }> {
  if (configured) return { secret: configured, source: 'JWT_SECRET' };
  const file = path.join(dataDir, SECRET_FILE);
  await mkdir(dataDir, { recursive: true });
  await createOnce(file, randomBytes(48).toString('base64url'));
  const secret = (await readFile(file, 'utf8')).trim();
  if (secret.length < 32) throw new Error(`${file} holds a secret shorter than 32 characters: remove it (tokens issued with it stop working) or set JWT_SECRET`);
  return { secret, source: file };
}

async function createOnce(file: string, content: string): Promise<void> {
  const aside = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(aside, `${content}\n`, { mode: 0o600 });
  try {
    await chmod(aside, 0o600); // the mode above is filtered by the umask; owner-only either way
    await link(aside, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await rm(aside, { force: true });
  }
}
