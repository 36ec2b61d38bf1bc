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
      logLevel: 'info',
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
      lockMs: 15_000,
      drainTimeoutMs: 5 * 60_000,
      buildTimeoutMs: 60 * 60_000,
      minFreeSpace: { bytes: 2e9 },
      stopFreeSpace: { bytes: 5e8 },
      gc: {
        reservedSpace: { percent: 10, capBytes: 10e9 },
        maxUsedSpace: { percent: 60, capBytes: 100e9 },
        minFreeSpace: { percent: 20, capBytes: 100e9 },
        keepDurationMs: 60 * 86_400_000,
        intervalMs: 10 * 60_000,
      },
      gitCacheSize: { percent: 5, capBytes: 5e9 },
      affinityWaitMs: 3000,
      pull: 'newer',
      sbomScanner: 'builtin',
      allowNetworkStorage: false,
      liveLogLimit: { lines: 200_000, bytes: 32 * 1024 ** 2 },
      cacheTtl: '10080m',
      metricsPushMs: 10_000,
    });
  });

  it('reads the registry settings: pull and cache credentials must exist, the cache path is a registry host with a path', () => {
    expect(() => loadConfig({ ...base, ARCHWAY_AGENT_PULL_AUTH_FILE: '/nonexistent/pull.json', ARCHWAY_AGENT_CACHE_REPO: 'not a host' })).toThrow(
      /ARCHWAY_AGENT_PULL_AUTH_FILE: does not exist[\s\S]*ARCHWAY_AGENT_CACHE_REPO: an image prefix is a registry host/,
    );
    const c = loadConfig({ ...base, ARCHWAY_AGENT_CACHE_REPO: 'cache.lan:5000/archway-cache/', ARCHWAY_AGENT_CACHE_TTL: '2d' });
    expect(c.cacheRepo).toBe('cache.lan:5000/archway-cache');
    expect(c.cacheTtl).toBe('2880m');
  });

  it('reads sizes, durations and the GC policy', () => {
    const c = loadConfig({
      ...base,
      ARCHWAY_AGENT_LOCK_DURATION: '5s',
      ARCHWAY_AGENT_BUILD_TIMEOUT: '90m',
      ARCHWAY_AGENT_MIN_FREE_SPACE: '1GiB',
      ARCHWAY_AGENT_STOP_FREE_SPACE: '100MB',
      ARCHWAY_AGENT_GC_RESERVED_SPACE: '0',
      ARCHWAY_AGENT_GC_MAX_USED_SPACE: '50%',
      ARCHWAY_AGENT_GC_MIN_FREE_SPACE: '5GB',
      ARCHWAY_AGENT_GC_KEEP_DURATION: '48h',
      ARCHWAY_AGENT_GC_INTERVAL: '0',
      ARCHWAY_AGENT_GIT_CACHE_SIZE: '200MB',
      ARCHWAY_AGENT_AFFINITY_WAIT: '0',
      ARCHWAY_AGENT_PULL: 'missing',
      ARCHWAY_AGENT_ALLOW_NETWORK_STORAGE: 'true',
      ARCHWAY_AGENT_SECRET_KEY: 'k'.repeat(32),
    });
    expect(c).toMatchObject({
      lockMs: 5000,
      buildTimeoutMs: 90 * 60_000,
      minFreeSpace: { bytes: 1024 ** 3 },
      stopFreeSpace: { bytes: 1e8 },
      gc: { reservedSpace: { bytes: 0 }, maxUsedSpace: { percent: 50 }, minFreeSpace: { bytes: 5e9 }, keepDurationMs: 48 * 3_600_000, intervalMs: 0 },
      gitCacheSize: { bytes: 2e8 },
      affinityWaitMs: 0,
      pull: 'missing',
      sbomScanner: 'builtin',
      allowNetworkStorage: true,
    });
    expect(c.secretKey).toHaveLength(32);
  });

  it('names bad sizes, durations and contradicting watermarks', () => {
    const msg = (env: Record<string, string>) => {
      try {
        loadConfig({ ...base, ...env });
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    };
    expect(msg({ ARCHWAY_AGENT_MIN_FREE_SPACE: 'lots' })).toContain(
      '  - ARCHWAY_AGENT_MIN_FREE_SPACE: "lots" is not a size: write a number and a unit, like 512MB, 4GiB, 1048576 or 20%',
    );
    expect(msg({ ARCHWAY_AGENT_BUILD_TIMEOUT: '60' })).toContain(
      '  - ARCHWAY_AGENT_BUILD_TIMEOUT: "60" is not a duration: a unit is missing (write 60s, 60m, 60h or 60d)',
    );
    expect(msg({ ARCHWAY_AGENT_MIN_FREE_SPACE: '100MB', ARCHWAY_AGENT_STOP_FREE_SPACE: '1GB' })).toContain(
      '  - ARCHWAY_AGENT_MIN_FREE_SPACE: ARCHWAY_AGENT_MIN_FREE_SPACE (95 MiB) must be more than ARCHWAY_AGENT_STOP_FREE_SPACE (954 MiB)',
    );
    expect(msg({ ARCHWAY_AGENT_SECRET_KEY: 'short' })).toContain('  - ARCHWAY_AGENT_SECRET_KEY: ARCHWAY_AGENT_SECRET_KEY must be at least 32 characters');
    expect(msg({ ARCHWAY_AGENT_LOCK_DURATION: '1s' })).toContain('  - ARCHWAY_AGENT_LOCK_DURATION: must be at least 3s (got "1s")');
    expect(msg({ ARCHWAY_AGENT_BUILD_TIMEOUT: '0' })).toContain('  - ARCHWAY_AGENT_BUILD_TIMEOUT: must be at least 1ms (got "0")');
    expect(msg({ ARCHWAY_AGENT_GIT_CACHE_SIZE: '5 repos' })).toContain('  - ARCHWAY_AGENT_GIT_CACHE_SIZE: "5 repos" is not a size: unknown unit "repos"');
  });

  it('takes every form of the one duration grammar', () => {
    expect(loadConfig({ ...base, ARCHWAY_AGENT_BUILD_TIMEOUT: '1h30m', ARCHWAY_AGENT_DRAIN_TIMEOUT: '1.5h' })).toMatchObject({
      buildTimeoutMs: 90 * 60_000,
      drainTimeoutMs: 90 * 60_000,
    });
    expect(loadConfig({ ...base, ARCHWAY_AGENT_LIVE_LOG_MAX_SIZE: '1MiB' }).liveLogLimit.bytes).toBe(1024 * 1024);
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
    expect(msg).toMatch(/^invalid agent configuration:\n/);
    for (const name of [
      '  - REDIS_URL: is required',
      '  - ARCHWAY_OBJECT_STORE: is required',
      '  - ARCHWAY_AGENT_CONCURRENCY: must be between 1 and 64',
      '  - ARCHWAY_BUILDAH_ISOLATION: must be chroot, oci or rootless',
    ]) {
      expect(msg).toContain(name);
    }
  });

  it('rejects an unknown platform and an unsupported object store', () => {
    expect(() => loadConfig({ ...base, ARCHWAY_AGENT_PLATFORM: 'linux/sparc' })).toThrow(/ARCHWAY_AGENT_PLATFORM: unknown platform "linux\/sparc"/);
    expect(() => loadConfig({ ...base, ARCHWAY_OBJECT_STORE: 'ftp://x' })).toThrow(/ARCHWAY_OBJECT_STORE: unsupported object store/);
  });

  it('reads the metrics port and push interval, and refuses bad ones and a bad OTLP endpoint', () => {
    const c = loadConfig({ ...base, ARCHWAY_AGENT_METRICS_PORT: '9464', ARCHWAY_METRICS_PUSH_INTERVAL: '0s' });
    expect(c.metricsPort).toBe(9464);
    expect(c.metricsPushMs).toBe(0);
    expect(() => loadConfig({ ...base, ARCHWAY_AGENT_METRICS_PORT: '70000' })).toThrow(/ARCHWAY_AGENT_METRICS_PORT: must be a port number/);
    expect(() => loadConfig({ ...base, ARCHWAY_METRICS_PUSH_INTERVAL: '10' })).toThrow(/ARCHWAY_METRICS_PUSH_INTERVAL/);
    expect(() => loadConfig({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT: must be an http/);
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
