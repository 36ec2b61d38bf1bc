import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendLogLines, endLog, nowIso, publishEvent } from '@archway/runtime';
import { storedPlatform } from '@archway/contract';
import { apiFixture, makeGitRepo, waitFor, type ApiFixture } from '../../apps/api/src/testing/fixture.ts';
import { startRecorder, type Recorder } from '../../apps/api/src/workers/recorder/recorder.ts';
import { main } from '../../apps/cli/src/main.ts';
import type {} from '../global-setup.ts'; // inject() keys

const BIN = fileURLToPath(new URL('../../apps/cli/bin/archway.js', import.meta.url));

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, o: { out: (l: string) => void out.push(l), err: (l: string) => void err.push(l) } };
}

// The CLI against the real API (HTTP, Postgres, Redis, recorder); the agent's side is played by
// publishing the events and log lines an agent publishes (the agent contract), nothing else.
describe('archway CLI', () => {
  let f: ApiFixture;
  let recorder: Recorder;
  let url: string;
  let repoId: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    f = await apiFixture({ allowLocalSources: true });
    recorder = startRecorder({ prisma: f.prisma, redis: f.redis, prefix: f.prefix, blockMs: 200 });
    await f.app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(f.app.server.address() as AddressInfo).port}`;
    env = { ARCHWAY_URL: url, ARCHWAY_TOKEN: f.token };
    const git = await makeGitRepo(f.tmp, 'cli');
    const res = await f.app.inject({
      method: 'POST',
      url: '/api/v1/repos',
      headers: f.auth,
      payload: {
        fullName: 'acme/cli',
        provider: 'forgejo',
        cloneUrl: git.url,
        image: 'registry.example.com/acme/cli',
        platforms: ['linux/amd64', 'linux/arm64'],
      },
    });
    repoId = res.json().id;
  });
  afterAll(async () => {
    await recorder?.close();
    await f?.close();
  });

  /** Plays the agents of a build: log lines, then each task built (or the first failed). */
  async function playAgents(buildId: string, outcome: 'succeeded' | 'failed') {
    const tasks = await f.prisma.task.findMany({ where: { buildId }, orderBy: { platform: 'asc' } });
    for (const [i, t] of tasks.entries()) {
      await publishEvent(f.redis, f.prefix, { type: 'task.started', buildId, taskId: t.id, agent: `agent-${i}`, attempt: 1, at: nowIso() });
      await appendLogLines(f.redis, f.prefix, t.id, 1, [`STEP 1/2: FROM scratch on ${t.platform}`, `STEP 2/2: COPY hello /hello`]);
      await endLog(f.redis, f.prefix, t.id, 1);
      if (outcome === 'failed' && i === 0) {
        await publishEvent(f.redis, f.prefix, {
          type: 'task.failed',
          buildId,
          taskId: t.id,
          attempt: 1,
          reason: 'step 2/2 COPY hello /hello failed (exit code 1)',
          final: true,
          at: nowIso(),
        });
        return;
      }
      await publishEvent(f.redis, f.prefix, {
        type: 'task.built',
        buildId,
        taskId: t.id,
        attempt: 1,
        at: nowIso(),
        result: {
          taskId: t.id,
          platform: storedPlatform(t.platform),
          archiveKey: `archives/${buildId}/${t.platform.replace('/', '-')}.tar`,
          archiveSize: 10,
          archiveDigest: `sha256:${'1'.repeat(64)}`,
          manifestDigest: `sha256:${'2'.repeat(64)}`,
        },
      });
    }
    await publishEvent(f.redis, f.prefix, { type: 'build.succeeded', buildId, indexDigest: `sha256:${'3'.repeat(64)}`, at: nowIso() });
  }

  async function newBuildAfter(count: number): Promise<string> {
    return waitFor(async () => {
      const rows = await f.prisma.build.findMany({ where: { repoId }, orderBy: { createdAt: 'asc' } });
      // Its tasks exist once the resolver queued it.
      const last = rows.length > count ? rows[rows.length - 1]! : undefined;
      return last && last.status !== 'resolving' ? last.id : undefined;
    }, 'the CLI to start a build');
  }

  it('build <owner/name> --follow streams every platform and exits 0 when the build succeeds', async () => {
    const c = capture();
    const before = await f.prisma.build.count({ where: { repoId } });
    const run = main(['build', 'acme/cli', '--ref', 'main', '--follow'], env, c.o);
    const id = await newBuildAfter(before);
    await playAgents(id, 'succeeded');
    expect(await run).toBe(0);
    expect(c.out).toContain('[linux/amd64] STEP 1/2: FROM scratch on linux/amd64');
    expect(c.out).toContain('[linux/arm64] STEP 2/2: COPY hello /hello');
    expect(c.err.join('\n')).toMatch(new RegExp(`build ${id} succeeded \\(branch:main\\)`));
  });

  it('the real `archway` binary exits 1 when the followed build fails, and status/logs work', async () => {
    const before = await f.prisma.build.count({ where: { repoId } });
    const child = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const p = execFile(process.execPath, [BIN, 'build', repoId, '--follow'], { env: { ...process.env, ...env } }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
      p.stdin?.end();
    });
    const id = await newBuildAfter(before);
    await playAgents(id, 'failed');
    const r = await child;
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/failed/);
    expect(r.stderr).toMatch(/exit code 1/);

    const st = capture();
    expect(await main(['status', id], env, st.o)).toBe(1);
    expect(st.out[0]).toBe(`build ${id} failed (branch:main)`);
    const logs = capture();
    expect(await main(['logs', id, '--platform', 'linux/amd64'], env, logs.o)).toBe(0);
    expect(logs.out).toEqual(['STEP 1/2: FROM scratch on linux/amd64', 'STEP 2/2: COPY hello /hello']);
  });

  it('explains usage, missing tokens and API errors with exit codes 2 and 3', async () => {
    const a = capture();
    expect(await main(['status', 'x'], {}, a.o)).toBe(2);
    expect(a.err[0]).toMatch(/ARCHWAY_TOKEN/);
    const b = capture();
    expect(await main(['build', 'nobody/none'], env, b.o)).toBe(2);
    expect(b.err[0]).toMatch(/not registered/);
    const c = capture();
    expect(await main(['status', '00000000-0000-0000-0000-000000000000'], { ...env, ARCHWAY_TOKEN: 'wrong' }, c.o)).toBe(3);
    expect(c.err[0]).toMatch(/401 .*ARCHWAY_TOKEN/);
  });
});
