import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, makeGitRepo, resolved, waitFor, type ApiFixture } from '../../testing/fixture.ts';
import { SCHEDULES_QUEUE, schedulerId } from './queue.ts';
import { startSchedules, type ScheduleService } from './scheduler.ts';

/**
 * Real BullMQ job schedulers firing every second (six-field cron), a real git repository and no
 * agent: the first build stays queued, which is exactly the "previous build still open" case.
 */
describe('repository schedules', () => {
  let f: ApiFixture;
  let repoId: string;
  let service: ScheduleService | undefined;
  let queue: Queue;

  beforeAll(async () => {
    f = await apiFixture({ allowLocalSources: true });
    const git = await makeGitRepo(f.tmp, 'nightly');
    const res = await call('POST', '/repos', { fullName: 'acme/nightly', provider: 'github', cloneUrl: git.url, platforms: ['linux/amd64'] });
    expect(res.statusCode, res.body).toBe(201);
    repoId = res.json().id;
    queue = new Queue(SCHEDULES_QUEUE, { connection: f.redis, prefix: f.prefix });
  });
  afterAll(async () => {
    await service?.close();
    await queue?.close();
    await f?.close();
  });

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    f.app.inject({ method, url: `/api/v1${url}`, headers: f.auth, ...(payload ? { payload } : {}) });
  const schedulerIds = async () => (await queue.getJobSchedulers(0, -1)).map((s) => s.key).sort();

  it('refuses an invalid cron expression or time zone with a 400 that names the field, and creates nothing', async () => {
    const cases = [
      [{ branch: 'main', cron: '61 * * * *', timezone: 'UTC' }, 'cron', /61/],
      [{ branch: 'main', cron: 'every night', timezone: 'UTC' }, 'cron', /5 fields/],
      [{ branch: 'main', cron: '0 3 * * *', timezone: 'Mars/Olympus_Mons' }, 'timezone', /time zone/],
      [{ branch: 'main', cron: '0 3 * * *' }, 'timezone', /timezone|required/i],
    ] as const;
    for (const [body, field, message] of cases) {
      const res = await call('POST', `/repos/${repoId}/schedules`, body);
      expect(res.statusCode, res.body).toBe(400);
      expect(JSON.stringify(res.json())).toMatch(message);
      expect(JSON.stringify(res.json())).toContain(field);
    }
    expect(await f.prisma.schedule.count()).toBe(0);
    expect(await schedulerIds()).toEqual([]);
  });

  it('builds the branch with trigger "schedule", then skips (saying why) while that build is still open', async () => {
    service = await startSchedules(f.deps);
    const created = await call('POST', `/repos/${repoId}/schedules`, { branch: 'main', cron: '* * * * * *', timezone: 'Europe/Berlin' });
    expect(created.statusCode, created.body).toBe(201);
    const schedule = created.json();
    expect(schedule).toMatchObject({ branch: 'main', timezone: 'Europe/Berlin', enabled: true, lastResult: null, nextRunAt: expect.any(String) });
    expect(await schedulerIds()).toEqual([schedulerId(schedule.id)]);

    const build = await waitFor(() => f.prisma.build.findFirst({ where: { repoId, trigger: 'schedule' } }).then((b) => b ?? undefined), 'a scheduled build');
    expect(await resolved(f, build.id)).toMatchObject({ triggerRef: 'branch:main', status: 'queued' });
    const skipped = await waitFor(async () => {
      const row = await f.prisma.schedule.findUniqueOrThrow({ where: { id: schedule.id } });
      return row.lastResult === 'skipped' ? row : undefined;
    }, 'a skipped run');
    // The schedule fires every second: the first skip may come while the build still resolves.
    expect(skipped.lastMessage).toMatch(new RegExp(`^skipped: build ${build.id} of main is still (resolving|queued)$`));
    expect(skipped.lastBuildId).toBe(build.id);
    // Later runs keep skipping: one build, however many seconds passed.
    expect(await f.prisma.build.count({ where: { repoId } })).toBe(1);

    const listed = (await call('GET', `/repos/${repoId}/schedules`)).json();
    expect(listed.items).toEqual([expect.objectContaining({ id: schedule.id, lastResult: 'skipped', lastBuildId: build.id })]);
    const shown = (await call('GET', `/builds/${build.id}`)).json();
    expect(shown.trigger).toBe('schedule');

    // Once the build is over, the next run queues a new one.
    await f.prisma.build.update({ where: { id: build.id }, data: { status: 'failed', finishedAt: new Date() } });
    await waitFor(async () => (await f.prisma.build.count({ where: { repoId, trigger: 'schedule' } })) === 2, 'a second scheduled build');
  });

  it('disabling or deleting a schedule removes its BullMQ scheduler', async () => {
    const [row] = await f.prisma.schedule.findMany({ where: { repoId } });
    const off = await call('PATCH', `/repos/${repoId}/schedules/${row!.id}`, { enabled: false });
    expect(off.statusCode, off.body).toBe(200);
    expect(off.json()).toMatchObject({ enabled: false, nextRunAt: null });
    expect(await schedulerIds()).toEqual([]);
    const bad = await call('PATCH', `/repos/${repoId}/schedules/${row!.id}`, { timezone: 'Nowhere/Else' });
    expect(bad.statusCode).toBe(400);
    expect((await f.prisma.schedule.findUniqueOrThrow({ where: { id: row!.id } })).timezone).toBe('Europe/Berlin');
    expect((await call('DELETE', `/repos/${repoId}/schedules/${row!.id}`)).statusCode).toBe(204);
    expect(await f.prisma.schedule.count()).toBe(0);
    expect((await call('DELETE', `/repos/${repoId}/schedules/${row!.id}`)).statusCode).toBe(404);
  });

  it('at start, re-syncs BullMQ from Postgres: lost schedulers come back, strays go', async () => {
    await service?.close();
    service = undefined;
    const kept = await f.prisma.schedule.create({ data: { repoId, branch: 'main', cron: '0 3 * * *', timezone: 'UTC' } });
    // A scheduler whose row is gone (removed while Redis was unreachable), and none for `kept` (Redis lost it).
    await queue.upsertJobScheduler(schedulerId('00000000-0000-0000-0000-000000000000'), { pattern: '0 4 * * *', tz: 'UTC' }, { name: 'schedule' });
    service = await startSchedules(f.deps);
    expect(await schedulerIds()).toEqual([schedulerId(kept.id)]);
    const [s] = await queue.getJobSchedulers(0, -1);
    expect(s).toMatchObject({ pattern: '0 3 * * *', tz: 'UTC' });
  });
});
