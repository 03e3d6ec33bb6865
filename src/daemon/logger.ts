// Structured logs (pino) to stdout and to $AGH_HOME/logs/agh.log.
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import type { LogLevel } from './config.ts';

export function createLogger(options: { home: string; level: LogLevel; stdout?: boolean }): Logger {
  const file = pino.destination({ dest: join(options.home, 'logs', 'agh.log'), mkdir: true, sync: false });
  const streams: pino.StreamEntry[] = [
    { level: options.level === 'silent' ? 'fatal' : options.level, stream: file },
  ];
  if (options.stdout !== false)
    streams.push({ level: options.level === 'silent' ? 'fatal' : options.level, stream: process.stdout });
  return pino(
    {
      level: options.level,
      base: { pid: process.pid },
      // Credentials never reach a log line, even if a header object is logged by mistake.
      redact: {
        paths: ['req.headers.authorization', 'headers.authorization', 'token', '*.token', 'operatorToken'],
        censor: '[redacted]',
      },
    },
    pino.multistream(streams),
  );
}
