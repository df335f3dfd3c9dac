import type { IncomingMessage } from 'node:http';

/** The least pace of an upload's body. */
export interface UploadPace {
  /** Bytes a second the body must average over each window; 0: no minimum (the silence cut still holds). */
  minBytesPerSecond: number;
  windowMs: number;
}

/** How long an upload's body may stay silent. */
export const UPLOAD_IDLE_MS = 30_000;

export interface PaceWatch {
  /** Runs `work`, during which the server, not the client, holds the body back: that time is not judged. */
  during<T>(work: Promise<T>): Promise<T>;
  stop(): void;
}

/**
 * Watches an upload's body arrive on its socket and calls `onCut` with an error to answer (HTTP 408)
 * when it stays silent for UPLOAD_IDLE_MS, or brings less than `pace` over a window, counted from the
 * start of the body (the first window is the grace). A stalled or trickling upload frees its file and
 * its room in seconds, not after Node's five-minute request timeout.
 */
export function watchPace(req: IncomingMessage, pace: UploadPace, onCut: (error: Error) => void): PaceWatch {
  const { socket } = req;
  const tickMs = Math.min(1_000, pace.windowMs / 4);
  let busy = 0;
  let lastBytes = socket.bytesRead;
  let lastDataAt = Date.now();
  let windowStart = lastDataAt;
  let windowStartBytes = lastBytes;
  const restartWindow = (now: number) => {
    lastBytes = windowStartBytes = socket.bytesRead;
    lastDataAt = windowStart = now;
  };
  const cut = (message: string) => {
    clearInterval(timer);
    onCut(Object.assign(new Error(message), { status: 408 }));
  };
  const timer = setInterval(() => {
    const now = Date.now();
    if (socket.bytesRead !== lastBytes) {
      lastBytes = socket.bytesRead;
      lastDataAt = now;
    }
    if (busy > 0) return restartWindow(now);
    if (now - lastDataAt >= UPLOAD_IDLE_MS) return cut(`upload stalled: no data for ${UPLOAD_IDLE_MS / 1000} s`);
    if (now - windowStart < pace.windowMs) return;
    const rate = ((lastBytes - windowStartBytes) * 1000) / (now - windowStart);
    if (rate < pace.minBytesPerSecond) {
      return cut(`upload too slow: ${Math.floor(rate)} bytes/s over ${Math.round((now - windowStart) / 1000)} s, at least ${pace.minBytesPerSecond} needed`);
    }
    windowStart = now;
    windowStartBytes = lastBytes;
  }, tickMs);
  timer.unref();
  return {
    async during(work) {
      busy += 1;
      try {
        return await work;
      } finally {
        busy -= 1;
        restartWindow(Date.now());
      }
    },
    stop: () => clearInterval(timer),
  };
}
