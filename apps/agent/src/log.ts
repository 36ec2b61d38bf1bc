/**
 * The agent's own log: one line per event on stdout, `<time> <level> <event> key=value…`.
 * Callers pass only non-secret fields (URLs go through redactUrl first).
 */
export type LogFields = Record<string, string | number | boolean | null | undefined>;
export type Logger = (event: string, fields?: LogFields, level?: 'info' | 'warn' | 'error') => void;

function formatValue(v: string | number | boolean | null): string {
  const s = String(v);
  return /^[^\s"=]+$/.test(s) ? s : JSON.stringify(s);
}

export function createLogger(write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Logger {
  return (event, fields = {}, level = 'info') => {
    const parts = [new Date().toISOString(), level, event];
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) parts.push(`${k}=${formatValue(v)}`);
    write(parts.join(' '));
  };
}

/** A logger that drops everything (tests that don't care about the agent's own log). */
export const silentLogger: Logger = () => {};
