import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, nativePlatform } from './env.ts';

const base = { REDIS_URL: 'redis://127.0.0.1:6379', ARCHWAY_OBJECT_STORE: 'file:///tmp/archway-objects' };

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig(base);
    const platform = nativePlatform();
    expect(c).toEqual({
      redisUrl: 'redis://127.0.0.1:6379',
      queuePrefix: 'archway',
      objectStore: 'file:///tmp/archway-objects',
      platform,
      dataDir: resolve('./.archway/agent'),
      agentId: `${hostname()}-${platform.replace(/\//g, '-')}`,
      concurrency: 1,
      isolation: 'chroot',
      buildah: 'buildah',
      git: 'git',
    });
  });

  it('normalises the platform override and derives the id from it', () => {
    const c = loadConfig({ ...base, ARCHWAY_AGENT_PLATFORM: 'arm64', ARCHWAY_AGENT_CONCURRENCY: '3', ARCHWAY_QUEUE_PREFIX: 'x1' });
    expect(c).toMatchObject({ platform: 'linux/arm64', agentId: `${hostname()}-linux-arm64`, concurrency: 3, queuePrefix: 'x1' });
  });

  it('lists every problem, naming the variable', () => {
    let err: unknown;
    try {
      loadConfig({ ARCHWAY_AGENT_CONCURRENCY: '0', ARCHWAY_BUILDAH_ISOLATION: 'vm' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    for (const name of ['REDIS_URL is required', 'ARCHWAY_OBJECT_STORE is required', 'ARCHWAY_AGENT_CONCURRENCY must be at least 1', 'ARCHWAY_BUILDAH_ISOLATION must be chroot, oci or rootless']) {
      expect(msg).toContain(name);
    }
  });

  it('rejects an unknown platform and an unsupported object store', () => {
    expect(() => loadConfig({ ...base, ARCHWAY_AGENT_PLATFORM: 'linux/sparc' })).toThrow(/ARCHWAY_AGENT_PLATFORM: unknown platform "linux\/sparc"/);
    expect(() => loadConfig({ ...base, ARCHWAY_OBJECT_STORE: 'ftp://x' })).toThrow(/ARCHWAY_OBJECT_STORE: unsupported object store/);
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ ...base, ARCHWAY_AGENT_ID: '', ARCHWAY_QUEUE_PREFIX: '' }).queuePrefix).toBe('archway');
  });
});

describe('nativePlatform', () => {
  it('maps kernel machine names', () => {
    expect(nativePlatform('x86_64')).toBe('linux/amd64');
    expect(nativePlatform('aarch64')).toBe('linux/arm64');
    expect(nativePlatform('armv7l')).toBe('linux/arm/v7');
    expect(() => nativePlatform('vax')).toThrow('set ARCHWAY_AGENT_PLATFORM');
  });
});
