import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { buildSecretKey } from '@archway/runtime';
import { loadConfig } from '../../apps/api/src/infra/env.ts';
import { AGENT_KEY_FILE, embeddedAgentKeyEnv } from '../../apps/launcher/src/agent-key.ts';

describe('embedded agent key', () => {
  it('generates <data>/agent-secret-key (0600) once and hands its path to API and agent', async () => {
    const dataDir = join(await mkdtemp(join(inject('tmpRoot'), 'agent-key-')), 'data');
    const first = await embeddedAgentKeyEnv({}, dataDir);
    const path = join(dataDir, AGENT_KEY_FILE);
    expect(first).toEqual({ env: { ARCHWAY_AGENT_SECRET_KEY_FILE: path }, generated: true });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const text = await readFile(path, 'utf8');
    expect(await embeddedAgentKeyEnv({}, dataDir)).toEqual({ env: { ARCHWAY_AGENT_SECRET_KEY_FILE: path }, generated: false });
    expect(await readFile(path, 'utf8')).toBe(text);
    // The API reads it as the agent does.
    const config = loadConfig({ DATABASE_URL: 'postgres://u@h/db', REDIS_URL: 'redis://h', ...first.env });
    expect(config.agentSecretKey?.equals(buildSecretKey(text))).toBe(true);
  });

  it('leaves a configured key alone', async () => {
    const dataDir = await mkdtemp(join(inject('tmpRoot'), 'agent-key-'));
    expect(await embeddedAgentKeyEnv({ ARCHWAY_AGENT_SECRET_KEY: 'x'.repeat(40) }, dataDir)).toEqual({ env: {}, generated: false });
    expect(await embeddedAgentKeyEnv({ ARCHWAY_AGENT_SECRET_KEY_FILE: '/run/secrets/k' }, dataDir)).toEqual({ env: {}, generated: false });
    await expect(stat(join(dataDir, AGENT_KEY_FILE))).rejects.toThrow(/ENOENT/);
  });
});
