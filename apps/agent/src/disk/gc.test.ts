import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { GcPolicy } from '../env.ts';
import { silentLogger } from '../log.ts';
import { measureBytes } from '../cache-size.ts';
import { buildArgs, runBuildah, storageDirs, type BuildahSettings } from '../task/buildah.ts';
import { collectGarbage, gcOrder, gcReason, type GcLimits } from './gc.ts';
import { imagesUnder, readStorageIndex } from './storage-index.ts';
import { CacheUsage } from './usage.ts';
import { LINUX_AMD64 } from '../../test/support.ts';

const MB = 1e6;
const DAY = 86_400_000;

describe('gcReason (buildkitd semantics)', () => {
  const limits: GcLimits = { reserved: 10 * MB, maxUsed: 100 * MB, minFree: 50 * MB, keepDurationMs: 2 * DAY };
  const now = 100 * DAY;
  it('never prunes at or below reservedSpace', () => {
    expect(gcReason({ cacheBytes: 10 * MB, freeBytes: 0 }, limits, 0, now)).toBeUndefined();
  });
  it('prunes entries unused for keepDuration, then LRU entries over maxUsedSpace or under minFreeSpace', () => {
    expect(gcReason({ cacheBytes: 20 * MB, freeBytes: 500 * MB }, limits, now - 3 * DAY, now)).toBe('expired');
    expect(gcReason({ cacheBytes: 120 * MB, freeBytes: 500 * MB }, limits, now, now)).toBe('max-used');
    expect(gcReason({ cacheBytes: 20 * MB, freeBytes: 40 * MB }, limits, now, now)).toBe('min-free');
    expect(gcReason({ cacheBytes: 20 * MB, freeBytes: 500 * MB }, limits, now - DAY, now)).toBeUndefined();
    expect(gcReason({ cacheBytes: 20 * MB, freeBytes: 500 * MB }, { ...limits, keepDurationMs: 0 }, 0, now)).toBeUndefined();
  });
  it('orders least recently used first, the deepest image of a build before its cached steps', () => {
    const index = {
      images: [
        { id: 'step', names: [], topLayer: 'l1', created: 5 },
        { id: 'final', names: [], topLayer: 'l2', created: 5 },
        { id: 'newer', names: ['x'], topLayer: 'l3', created: 9 },
      ],
      layers: new Map([
        ['l1', { size: 1 }],
        ['l2', { parent: 'l1', size: 1 }],
        ['l3', { size: 1 }],
      ]),
      inUse: new Set<string>(),
    };
    expect(gcOrder(index, { get: (_id, created) => created }).map((c) => c.id)).toEqual(['final', 'step', 'newer']);
  });
});

describe('collectGarbage on real buildah storage (tmpfs)', () => {
  let mnt = '';
  let settings: BuildahSettings;
  let usage: CacheUsage;
  const built: Record<string, string> = {};
  const policy = (p: Partial<GcPolicy>): GcPolicy => ({
    reservedSpace: { bytes: 0 },
    maxUsedSpace: { percent: 100 },
    minFreeSpace: { bytes: 0 },
    keepDurationMs: 0,
    intervalMs: 0,
    ...p,
  });
  const run = (p: Partial<GcPolicy>) =>
    collectGarbage({
      settings,
      policy: policy(p),
      usage,
      cacheBytes: null,
      measureCache: () => measureBytes(storageDirs(settings).root),
      log: silentLogger,
      trigger: 'test',
    });

  beforeAll(async () => {
    mnt = await mkdtemp(join(inject('tmpRoot'), 'gc-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', mnt]);
    settings = { buildah: 'buildah', dataDir: mnt, platform: LINUX_AMD64, isolation: 'chroot' };
    await mkdir(storageDirs(settings).tmp, { recursive: true });
    usage = new CacheUsage(join(mnt, 'usage.json'));
    for (const name of ['old', 'new']) {
      const ctx = await mkdtemp(join(inject('tmpRoot'), `gc-ctx-${name}-`));
      await writeFile(join(ctx, 'Containerfile'), 'FROM scratch\nCOPY data /data\n');
      await writeFile(join(ctx, 'data'), Buffer.alloc(3 * 1024 * 1024, name));
      const iid = join(ctx, 'iid');
      const r = await runBuildah(settings, buildArgs(settings, { containerfile: join(ctx, 'Containerfile'), contextDir: ctx, buildArgs: {}, iidFile: iid }));
      expect(r.code).toBe(0);
      built[name] = execFileSync('cat', [iid], { encoding: 'utf8' })
        .trim()
        .replace(/^sha256:/, '');
    }
    const index = await readStorageIndex(storageDirs(settings).root);
    await usage.touch(imagesUnder(index, built.old!), Date.now() - 10 * DAY);
    await usage.touch(imagesUnder(index, built.new!), Date.now());
  });

  afterAll(() => {
    if (mnt) execFileSync('umount', [mnt]);
  });

  const ids = async () => new Set((await readStorageIndex(storageDirs(settings).root)).images.map((i) => i.id));

  it('keeps everything within reservedSpace, however old', async () => {
    const report = await run({ reservedSpace: { bytes: 1e12 }, keepDurationMs: DAY, maxUsedSpace: { bytes: 0 } });
    expect(report.removed).toEqual([]);
    expect((await ids()).has(built.old!)).toBe(true);
  });

  it('removes what was unused for keepDuration and measures the space it freed with statfs', async () => {
    const report = await run({ keepDurationMs: 7 * DAY });
    expect(report.removed.map((r) => [r.id, r.reason])).toEqual([[built.old!, 'expired']]);
    expect(report.freedBytes).toBeGreaterThan(2.5 * MB); // its 3 MB layer
    expect(report.after.freeBytes - report.before.freeBytes).toBe(report.freedBytes);
    const left = await ids();
    expect(left.has(built.old!)).toBe(false);
    expect(left.has(built.new!)).toBe(true);
  });

  it('prunes least recently used entries while the cache exceeds maxUsedSpace', async () => {
    const report = await run({ maxUsedSpace: { bytes: 1 } });
    expect(report.removed.map((r) => r.reason)).toEqual(['max-used']);
    expect(await ids()).toEqual(new Set());
    expect(report.after.cacheBytes).toBeLessThan(report.before.cacheBytes);
  });
});
