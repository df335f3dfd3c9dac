import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import { CACHE_DIR } from '../paths.js';
import { exists } from './files.js';

export interface GoProgram {
  /** The binary's name in the cache, with its version: `ferretdb-1.24.2`. */
  name: string;
  /** The Go module (go.mod, go.sum, any .go files) that pins the program's sources. */
  moduleDir: string;
  /** The package to build, relative to the module: `.`, or an import path its go.mod requires. */
  target: string;
  /** What a first build costs, for the log line. */
  buildTime: string;
}

/**
 * The path of a Go program's binary, built from the Go module proxy on first use and cached under
 * node_modules/.cache keyed by the hash of its module's files, so later starts take a second.
 */
export async function goBinary(program: GoProgram, logger: Logger): Promise<string> {
  const binary = path.join(CACHE_DIR, `${program.name}-${await sourceHash(program.moduleDir)}`);
  if (await exists(binary)) return binary;
  logger.info(`building ${program.name} with Go (first use only: ${program.buildTime})`);
  await mkdir(CACHE_DIR, { recursive: true });
  const partial = `${binary}.${process.pid}.partial`;
  try {
    await promisify(execFile)('go', ['build', '-trimpath', '-ldflags=-s -w', '-o', partial, program.target], {
      cwd: program.moduleDir,
      env: { ...process.env, CGO_ENABLED: '0' },
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const { code, stderr } = error as { code?: string; stderr?: string };
    if (code === 'ENOENT') throw new Error(`Building ${program.name} needs Go (apt-get install golang).`);
    throw new Error(`Building ${program.name} failed:\n${stderr ?? String(error)}`);
  }
  await rename(partial, binary); // atomic: concurrent first uses each finish with a complete binary
  return binary;
}

async function sourceHash(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const sources = (await readdir(dir)).filter((file) => /\.go$|^go\.(mod|sum)$/.test(file)).sort();
  for (const file of sources) hash.update(file).update(await readFile(path.join(dir, file)));
  return hash.digest('hex').slice(0, 12);
}
