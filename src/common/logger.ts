import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON logs on stdout; request handlers log through a child carrying the request id. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'isms-graph' }, timestamp: pino.stdTimeFunctions.isoTime });
}
