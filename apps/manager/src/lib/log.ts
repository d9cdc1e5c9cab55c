/** Structured logging with pino, shared by the manager and the agent: JSON lines on stderr. */
import { pino, type Logger } from 'pino';

export type { Logger };
export type Level = 'debug' | 'info' | 'warn' | 'error';

export function createLogger(level: Level = 'info'): Logger {
  return pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination(2));
}

export const silentLogger: Logger = pino({ level: 'silent' });
