import { readFileSync } from 'node:fs';

/**
 * The soft limit of open files of this process (RLIMIT_NOFILE), from /proc/self/limits; undefined where
 * there is none (not Linux). Node raises the soft limit to the hard one itself at start (src/node.cc,
 * PlatformInit), so this is the hard limit the process was started with: `ulimit -Hn` or systemd's
 * LimitNOFILE raise it.
 */
export function openFilesLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((entry) => entry.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === undefined || soft === 'unlimited' ? undefined : Number.parseInt(soft, 10) || undefined;
  } catch {
    return undefined;
  }
}

/** Three quarters of the open-files limit: the rest for REST connections, the store's and Redis's, media files. */
export function defaultConnectionCeiling(limit = openFilesLimit()): number {
  return limit === undefined ? 10_000 : Math.max(1, Math.floor(limit * 0.75));
}
