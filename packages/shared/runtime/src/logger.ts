import { pino, type DestinationStream, type Logger } from 'pino';
import { z } from 'zod';
import { defineConfig, loadConfig } from './config/load-config.ts';

/**
 * The one logger of every process: JSON lines (pino, the API's Fastify logger too) with a
 * `component` field (`api`, `agent`, `merger`, `retention`…), the level from ARCHWAY_LOG_LEVEL.
 * Secrets never reach a line: fields under these names are replaced by `[redacted]` wherever they
 * appear (one level deep, and at the top), and callers pass URLs through redactUrl first.
 */
export type { Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** ARCHWAY_LOG_LEVEL, part of every process's configuration (each ENV.md lists it). */
export const LogEnv = z.object({
  ARCHWAY_LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
});
export const logConfig = defineConfig({ process: 'log', schema: LogEnv });

const SECRET_FIELDS = ['password', 'token', 'secret', 'secretKey', 'authorization', 'cookie', 'credentials', 'webhookSecret', 'adminToken'];
export const REDACTED_PATHS = [...SECRET_FIELDS, ...SECRET_FIELDS.map((f) => `*.${f}`), 'req.headers.authorization', 'req.headers.cookie'];

export interface LoggerOptions {
  component: string;
  /** Default: ARCHWAY_LOG_LEVEL from `env` (info). */
  level?: LogLevel;
  env?: Record<string, string | undefined>;
  /** Default: stdout. Tests pass a stream to read the lines. */
  destination?: DestinationStream;
}

export function createLogger(o: LoggerOptions): Logger {
  const level = o.level ?? loadConfig(logConfig, o.env ?? process.env).ARCHWAY_LOG_LEVEL;
  return pino(
    {
      level,
      base: { component: o.component },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    o.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
