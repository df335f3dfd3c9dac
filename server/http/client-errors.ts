import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { Status } from '../../models/index.js';

/**
 * Answers requests Node's HTTP parser refuses before Koa sees them (headers over 16 KiB, garbage)
 * with the JSON envelope, instead of Node's bare status line, then closes the connection.
 */
export function answerParserErrors(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable) return void socket.destroy();
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    const status = tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request';
    const body = JSON.stringify({
      status_code: Status.BODY_REJECTED,
      status_msg: tooLarge ? 'request headers too large: at most 16 KiB' : 'malformed HTTP request',
    });
    socket.end(`HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
}
