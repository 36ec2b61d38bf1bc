import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { buildSecretKey } from '@archway/runtime';
import { ConfigError, loadConfig } from './env.ts';

const base = { DATABASE_URL: 'postgresql://u:p@db:5432/archway', REDIS_URL: 'redis://redis:6379' };

describe('loadConfig', () => {
  it('applies the defaults', () => {
    const c = loadConfig(base);
    expect(c).toMatchObject({
      queuePrefix: 'archway',
      host: '127.0.0.1',
      port: 8080,
      publicUrl: 'http://127.0.0.1:8080',
      bodyLimit: 1024 * 1024,
      adminToken: undefined,
      logLevel: 'info',
    });
    expect(c.dataDir).toMatch(/\/\.archway$/);
    expect(c.objectStore).toBe(`file://${c.dataDir}/objects`);
  });

  it('abuse settings: local sources off, 20 auth failures per 10m, replays remembered 1h; bad values named', () => {
    expect(loadConfig(base)).toMatchObject({ allowLocalSources: false, authFailureLimit: 20, authFailureWindowMs: 600_000, hookReplayWindowMs: 3_600_000 });
    expect(
      loadConfig({
        ...base,
        ARCHWAY_ALLOW_LOCAL_SOURCES: 'true',
        ARCHWAY_AUTH_FAILURE_LIMIT: '0',
        ARCHWAY_AUTH_FAILURE_WINDOW: '30s',
        ARCHWAY_HOOK_REPLAY_WINDOW: '0s',
      }),
    ).toMatchObject({
      allowLocalSources: true,
      authFailureLimit: 0,
      authFailureWindowMs: 30_000,
      hookReplayWindowMs: 0,
    });
    expect(() => loadConfig({ ...base, ARCHWAY_ALLOW_LOCAL_SOURCES: 'maybe', ARCHWAY_AUTH_FAILURE_WINDOW: '600', ARCHWAY_HOOK_REPLAY_WINDOW: 'soon' })).toThrow(
      /- ARCHWAY_ALLOW_LOCAL_SOURCES: must be true or false[\s\S]*- ARCHWAY_AUTH_FAILURE_WINDOW: "600" is not a duration[\s\S]*- ARCHWAY_HOOK_REPLAY_WINDOW: "soon" is not a duration/,
    );
  });

  it('ARCHWAY_TRUST_PROXY: off by default; true or proxy addresses; anything else named', () => {
    expect(loadConfig(base).trustProxy).toBe(false);
    expect(loadConfig({ ...base, ARCHWAY_TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ ...base, ARCHWAY_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy).toBe('10.0.0.0/8, 127.0.0.1');
    expect(() => loadConfig({ ...base, ARCHWAY_TRUST_PROXY: 'everyone' })).toThrow(/- ARCHWAY_TRUST_PROXY: must be true, false or a comma list/);
  });

  it('derives the public URL from HOST and PORT, and strips a trailing slash from ARCHWAY_PUBLIC_URL', () => {
    expect(loadConfig({ ...base, HOST: '0.0.0.0', PORT: '9000' }).publicUrl).toBe('http://127.0.0.1:9000');
    expect(loadConfig({ ...base, ARCHWAY_PUBLIC_URL: 'https://ci.example.com/' }).publicUrl).toBe('https://ci.example.com');
  });

  it('lists every problem, naming the variable', () => {
    let err: unknown;
    try {
      loadConfig({ REDIS_URL: 'http://x', PORT: 'eighty', ARCHWAY_BODY_LIMIT: '10', ARCHWAY_QUEUE_PREFIX: 'a b' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/^invalid API configuration:\n/);
    for (const line of [
      '  - DATABASE_URL: is required',
      '  - REDIS_URL: must start with',
      '  - PORT: must be a port number',
      '  - ARCHWAY_BODY_LIMIT: must be at least 1 KiB',
      '  - ARCHWAY_QUEUE_PREFIX: may contain',
    ]) {
      expect(msg).toContain(line);
    }
  });

  it('reads body limits in the size grammar', () => {
    expect(loadConfig({ ...base, ARCHWAY_BODY_LIMIT: '2MiB', ARCHWAY_HOOK_BODY_LIMIT: '65536' })).toMatchObject({
      bodyLimit: 2 * 1024 * 1024,
      hookBodyLimit: 65536,
    });
    expect(() => loadConfig({ ...base, ARCHWAY_BODY_LIMIT: '1GiB' })).toThrow('  - ARCHWAY_BODY_LIMIT: must be at most 256 MiB (got "1GiB")');
    expect(() => loadConfig({ ...base, ARCHWAY_BODY_LIMIT: '10%' })).toThrow('ARCHWAY_BODY_LIMIT: "10%" is not a size: a percentage is not allowed here');
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ ...base, PORT: '', ARCHWAY_ADMIN_TOKEN: '' })).toMatchObject({ port: 8080, adminToken: undefined });
  });

  it('reads the admin token from ARCHWAY_ADMIN_TOKEN_FILE, and refuses both at once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'env-'));
    const file = join(dir, 'token');
    await writeFile(file, 'a-secret-from-kubernetes-0123\n');
    expect(loadConfig({ ...base, ARCHWAY_ADMIN_TOKEN_FILE: file }).adminToken).toBe('a-secret-from-kubernetes-0123');
    expect(() => loadConfig({ ...base, ARCHWAY_ADMIN_TOKEN_FILE: file, ARCHWAY_ADMIN_TOKEN: 'another-secret-0123456' })).toThrow(/not both/);
    expect(() => loadConfig({ ...base, ARCHWAY_ADMIN_TOKEN_FILE: join(dir, 'missing') })).toThrow(/ARCHWAY_ADMIN_TOKEN_FILE: cannot read/);
    expect(() => loadConfig({ ...base, ARCHWAY_ADMIN_TOKEN: 'short' })).toThrow('  - ARCHWAY_ADMIN_TOKEN: must be at least 16 characters');
  });

  it("reads the agents' key for build secrets (inline or file, derived as agents derive it) and the build attempts", async () => {
    const text = 'agent-secret-key-for-tests-0123456789abcdef';
    expect(loadConfig(base)).toMatchObject({ agentSecretKey: undefined, buildAttempts: 2 });
    const inline = loadConfig({ ...base, ARCHWAY_AGENT_SECRET_KEY: text });
    expect(inline.agentSecretKey?.equals(buildSecretKey(text))).toBe(true);
    const dir = await mkdtemp(join(tmpdir(), 'env-'));
    const file = join(dir, 'agent-key');
    await writeFile(file, `${text}\n`);
    expect(loadConfig({ ...base, ARCHWAY_AGENT_SECRET_KEY_FILE: file }).agentSecretKey?.equals(buildSecretKey(text))).toBe(true);
    expect(() => loadConfig({ ...base, ARCHWAY_AGENT_SECRET_KEY_FILE: file, ARCHWAY_AGENT_SECRET_KEY: text })).toThrow(/not both/);
    expect(() => loadConfig({ ...base, ARCHWAY_AGENT_SECRET_KEY: 'short' })).toThrow(
      / {2}- ARCHWAY_AGENT_SECRET_KEY: ARCHWAY_AGENT_SECRET_KEY must be at least 32/,
    );
    expect(() => loadConfig({ ...base, ARCHWAY_AGENT_SECRET_KEY_FILE: join(dir, 'missing') })).toThrow(/ARCHWAY_AGENT_SECRET_KEY_FILE: cannot read/);
    expect(loadConfig({ ...base, ARCHWAY_BUILD_ATTEMPTS: '5' }).buildAttempts).toBe(5);
    for (const bad of ['0', '11', '1.5', 'x']) expect(() => loadConfig({ ...base, ARCHWAY_BUILD_ATTEMPTS: bad })).toThrow(/ARCHWAY_BUILD_ATTEMPTS/);
  });
});
