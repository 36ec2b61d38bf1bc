import { createLogger as createProcessLogger, type LogLevel } from '@archway/runtime';

/**
 * The agent's own log: one JSON line per event on stdout through the one process logger
 * (@archway/runtime createLogger, `component: "agent"`), the event as `msg`, its fields beside it.
 * Callers pass only non-secret fields (URLs go through redactUrl first); known secret field names
 * are redacted by the logger as well.
 */
export type LogFields = Record<string, string | number | boolean | null | undefined>;
export type Logger = (event: string, fields?: LogFields, level?: 'info' | 'warn' | 'error') => void;

/** `write` receives each line without its newline (tests collect them); default stdout. */
export function createLogger(write?: (line: string) => void, level: LogLevel = 'info'): Logger {
  const destination = write ? { write: (line: string) => write(line.replace(/\n$/, '')) } : undefined;
  const logger = createProcessLogger({ component: 'agent', level, ...(destination ? { destination } : {}) });
  return (event, fields = {}, lvl = 'info') => logger[lvl](fields, event);
}

/** A logger that drops everything (tests that don't care about the agent's own log). */
export const silentLogger: Logger = () => {};
