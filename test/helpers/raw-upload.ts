import { request, type IncomingHttpHeaders } from 'node:http';

/** Multipart uploads written by hand, a piece at a time, as slow, stalled or hostile clients send them. */
export const BOUNDARY = 'raw-upload-boundary';

export type Part = { name: string; value: string } | { name: string; filename: string; bytes: number | Buffer };

/** A multipart body: its parts (a file of `bytes` bytes of 'a', or those bytes), the last one left open unless `close`. */
export function multipart(parts: Part[], close = true): Buffer {
  const pieces = parts.map((part, i) => {
    const last = i === parts.length - 1;
    if ('value' in part) return Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${part.name}"\r\n\r\n${part.value}\r\n`);
    const head = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${part.name}"; filename="${part.filename}"\r\nContent-Type: video/mp4\r\n\r\n`;
    const bytes = typeof part.bytes === 'number' ? Buffer.alloc(part.bytes, 0x61) : part.bytes;
    return Buffer.concat([Buffer.from(head), bytes, Buffer.from(last && !close ? '' : '\r\n')]);
  });
  if (close) pieces.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(pieces);
}

export interface RawAnswer {
  httpStatus: number;
  headers: IncomingHttpHeaders;
  body: { status_code: number; status_msg: string };
  /** When it arrived (Date.now()). */
  at: number;
}

export interface RawUpload {
  /** The answer, once it has arrived; undefined when the connection ended without one. */
  answer: Promise<RawAnswer | undefined>;
  /** Whether the answer has arrived. */
  readonly answered: boolean;
  /** Writes `bytes` (resolves once they are handed to the socket); nothing once answered or closed. */
  write(bytes: Buffer): Promise<void>;
  end(): void;
  destroy(): void;
}

/**
 * Starts a POST of a multipart body to `urlPath`, sending nothing of the body yet: chunked unless
 * `contentLength` is given, on a connection of its own.
 */
export function startUpload(baseUrl: string, urlPath: string, options: { contentLength?: number; headers?: Record<string, string> } = {}): RawUpload {
  const headers: Record<string, string | number> = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, ...options.headers };
  if (options.contentLength !== undefined) headers['content-length'] = options.contentLength;
  const req = request(new URL(urlPath, baseUrl), { method: 'POST', headers, agent: false });
  let answered = false;
  const answer = new Promise<RawAnswer | undefined>((resolve) => {
    req.once('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.once('end', () => {
        answered = true;
        let body: RawAnswer['body'];
        try {
          body = JSON.parse(text) as RawAnswer['body'];
        } catch {
          body = { status_code: -1, status_msg: `not JSON: ${text.slice(0, 200)}` };
        }
        resolve({ httpStatus: response.statusCode!, headers: response.headers, body, at: Date.now() });
      });
      response.once('error', () => resolve(undefined));
    });
    req.once('close', () => setImmediate(() => resolve(undefined))); // after a response's own 'end', if any
  });
  req.on('error', () => undefined);
  req.flushHeaders();
  return {
    answer,
    get answered() {
      return answered;
    },
    write: (bytes) => new Promise((resolve) => {
      if (answered || req.destroyed) return resolve();
      req.once('close', resolve);
      req.write(bytes, () => {
        req.off('close', resolve);
        resolve();
      });
    }),
    end: () => {
      if (!answered && !req.destroyed) req.end();
    },
    destroy: () => req.destroy(),
  };
}
