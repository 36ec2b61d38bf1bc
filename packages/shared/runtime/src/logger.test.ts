import { describe, expect, it } from 'vitest';
import { ConfigError } from './config/config-error.ts';
import { createLogger } from './logger.ts';

/** The JSON lines a logger writes, parsed. */
function capture() {
  const lines: string[] = [];
  return { destination: { write: (s: string) => void lines.push(s) }, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('createLogger', () => {
  it('writes one JSON line per record with level, ISO time, component and fields', () => {
    const out = capture();
    createLogger({ component: 'merger', level: 'info', destination: out.destination }).info({ buildId: 'b1' }, 'published');
    const [r] = out.records();
    expect(r).toMatchObject({ level: 'info', component: 'merger', buildId: 'b1', msg: 'published' });
    expect(new Date(String(r!.time)).toISOString()).toBe(r!.time);
  });

  it('takes the level from ARCHWAY_LOG_LEVEL and refuses an unknown one in the common format', () => {
    const out = capture();
    const log = createLogger({ component: 'agent', env: { ARCHWAY_LOG_LEVEL: 'warn' }, destination: out.destination });
    log.info('dropped');
    log.warn('kept');
    expect(out.records().map((r) => r.msg)).toEqual(['kept']);
    expect(() => createLogger({ component: 'agent', env: { ARCHWAY_LOG_LEVEL: 'loud' } })).toThrow(ConfigError);
    expect(() => createLogger({ component: 'agent', env: { ARCHWAY_LOG_LEVEL: 'loud' } })).toThrow(
      '  - ARCHWAY_LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent',
    );
  });

  it('never writes secret fields, at the top or one level down', () => {
    const out = capture();
    const log = createLogger({ component: 'api', level: 'info', destination: out.destination });
    log.info({ token: 'arch_secret-1', repo: { webhookSecret: 'whsec-2', name: 'team/app' }, password: 'pw-3', secretKey: 'k-4' }, 'registered');
    const line = JSON.stringify(out.records());
    for (const secret of ['arch_secret-1', 'whsec-2', 'pw-3', 'k-4']) expect(line).not.toContain(secret);
    expect(out.records()[0]).toMatchObject({ token: '[redacted]', repo: { webhookSecret: '[redacted]', name: 'team/app' } });
  });
});
