import { pino, type Logger } from 'pino';

/**
 * JSON lines on stdout. Writes are asynchronous: lines logged while a write is under way go out
 * together in the next one, so a busy server makes far fewer system calls (pino flushes at exit).
 */
export function createLogger(level: string): Logger {
  return pino({ level, base: { pid: process.pid } }, pino.destination({ dest: 1, sync: false }));
}
