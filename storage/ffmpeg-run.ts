import { execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Address space ffmpeg may take: a base for the program and its buffers, and more per pixel of the largest frame. */
const MEMORY_BASE_BYTES = 768 * 1024 * 1024;
const MEMORY_PER_PIXEL_BYTES = 400;
/** Time an ffmpeg run may take: a base, and more per second of video (encoding runs faster than real time here). */
const TIME_BASE_MS = 60_000;
const TIME_PER_SECOND_MS = 10_000;
/** What is kept of ffmpeg's error output, for the reason of a failure. */
const STDERR_BYTES = 4_096;

/**
 * Why an ffmpeg run failed. `input`: ffmpeg refused the file (exited with an error); `timeout`: it took
 * longer than its bound; `killed`: a signal ended it (the kernel out of memory, say); `aborted`: asked to stop.
 */
export class FfmpegFailure extends Error {
  override name = 'FfmpegFailure';

  constructor(readonly kind: 'input' | 'timeout' | 'killed' | 'aborted', message: string) {
    super(message);
  }
}

interface FfmpegRun {
  args: string[];
  /** Seconds of output the run makes, for its progress and its time bound. */
  duration: number;
  /** Pixels of the largest frame decoded or encoded, for its memory bound. */
  pixels: number;
  /** The share of the run done (0 to 1), each time ffmpeg reports it (about twice a second). */
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
  /** Paths in ffmpeg's messages replaced by what they are, for the reason shown to users. */
  names?: Record<string, string>;
  /** false for a short run a request waits for (a publish's remux): niced, a busy machine starves it. */
  niced?: boolean;
}

function timeBoundMs(duration: number): number {
  return TIME_BASE_MS + Math.ceil(duration * TIME_PER_SECOND_MS);
}

function memoryBoundBytes(pixels: number): number {
  return MEMORY_BASE_BYTES + pixels * MEMORY_PER_PIXEL_BYTES;
}

let wrappers: Promise<{ prlimit: boolean; nice: boolean }> | undefined;

/** Whether `prlimit` (util-linux) and `nice` (coreutils) can be run here; looked at once. */
function limitTools(): Promise<{ prlimit: boolean; nice: boolean }> {
  const runs = (command: string) => new Promise<boolean>((resolve) => execFile(command, ['--version'], (error) => resolve((error as NodeJS.ErrnoException | null)?.code !== 'ENOENT')));
  wrappers ??= Promise.all([runs('prlimit'), runs('nice')]).then(([prlimit, nice]) => ({ prlimit, nice }));
  return wrappers;
}

/** The bounds ffmpeg cannot be run with on this machine, for the start-up log: none where util-linux and coreutils are installed. */
export async function missingLimits(): Promise<string[]> {
  const { prlimit, nice } = await limitTools();
  return [...(prlimit ? [] : ['its memory (prlimit is not installed)']), ...(nice ? [] : ['its priority (nice is not installed)'])];
}

/**
 * Runs ffmpeg niced (the server's requests come first) unless a request waits for it, within an
 * address-space limit (prlimit) and a time limit proportional to the duration; resolves when it exits cleanly.
 */
export async function runFfmpeg(run: FfmpegRun): Promise<void> {
  const timeoutMs = timeBoundMs(run.duration);
  const tools = await limitTools();
  const ffmpeg = ['ffmpeg', '-hide_banner', '-nostdin', '-y', '-loglevel', 'error', '-nostats', '-progress', 'pipe:1', ...run.args];
  const niced = tools.nice && run.niced !== false;
  const command = [...(tools.prlimit ? ['prlimit', `--as=${memoryBoundBytes(run.pixels)}`, '--'] : []), ...(niced ? ['nice', '-n', '10'] : []), ...ffmpeg];
  const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-STDERR_BYTES)));
  createInterface({ input: child.stdout }).on('line', (line) => {
    const microseconds = /^out_time_us=(\d+)$/.exec(line)?.[1];
    if (microseconds && run.duration > 0) run.onProgress?.(Math.min(1, Number(microseconds) / 1e6 / run.duration));
  });
  let ended: FfmpegFailure | undefined;
  const stop = (failure: FfmpegFailure) => {
    ended ??= failure;
    child.kill('SIGKILL');
  };
  const timer = setTimeout(() => stop(new FfmpegFailure('timeout', `processing took more than ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
  const abort = () => stop(new FfmpegFailure('aborted', 'processing was stopped'));
  run.signal?.addEventListener('abort', abort, { once: true });
  if (run.signal?.aborted) abort();
  return new Promise<void>((resolve, reject) => {
    child.once('error', (error) => reject(new FfmpegFailure('killed', `ffmpeg could not run: ${error.message}`)));
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      run.signal?.removeEventListener('abort', abort);
      if (ended) return reject(ended);
      if (code === 0) return resolve();
      if (signal) return reject(new FfmpegFailure('killed', `ffmpeg was ended by ${signal}`));
      reject(new FfmpegFailure('input', reasonOf(stderr, run.names ?? {})));
    });
  });
}

/** ffmpeg's last error line, with the paths it names replaced (they mean nothing to the uploader). */
function reasonOf(stderr: string, names: Record<string, string>): string {
  let line = stderr.trim().split('\n').at(-1)?.trim() || 'ffmpeg failed without saying why';
  for (const [file, name] of Object.entries(names)) line = line.split(file).join(name);
  return line;
}
