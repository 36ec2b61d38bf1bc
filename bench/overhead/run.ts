// bench/overhead: one two-platform build, Archway end to end (request → index pushed) against the
// same work done by a plain script (buildah build per platform in parallel, oci-archive, manifest
// push). Both start from empty buildah storage each round. Prints the ratio and dispatch latency.
//   npm run bench:overhead [-- --rounds 3 --cold-git]
import { execFile } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { benchServices, median, percentile } from '../lib/services.ts';
import { makeGitRepo } from '../../test/harness/git-repo.ts';
import { startStack } from '../../test/harness/stack.ts';

const run = promisify(execFile);
const PLATFORMS = ['linux/amd64', 'linux/arm64'];
const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1] || 3) || 3;
// Every round builds the same commit. By default the agents' git cache keeps it after round 1, as
// for a rebuild (the plain script builds from the local directory); --cold-git empties it per round.
const coldGit = process.argv.includes('--cold-git');

// Real work in RUN steps (32 MiB of random data, then hashing it) so the ratio measures overhead
// around a build, not process start-up alone.
const CONTAINERFILE = `FROM scratch
COPY busybox /bin/busybox
COPY app.txt /app.txt
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox dd if=/dev/urandom of=/data.bin bs=1M count=32 2>/dev/null"]
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox sha256sum /data.bin > /data.sha256"]
`;

async function plainScript(root: string, ctx: string, image: string, tag: string): Promise<number> {
  const started = performance.now();
  const archives = await Promise.all(
    PLATFORMS.map(async (platform) => {
      const slug = platform.replace(/\//g, '-');
      const store = ['--root', join(root, slug, 'root'), '--runroot', join(root, slug, 'run'), '--storage-driver', 'overlay'];
      await run('buildah', [...store, 'build', '--platform', platform, '--layers', '--isolation', 'chroot', '-t', `plain-${slug}`, ctx]);
      const archive = join(root, `${slug}.tar`);
      await run('buildah', [...store, 'push', `plain-${slug}`, `oci-archive:${archive}`]);
      return archive;
    }),
  );
  const store = ['--root', join(root, 'manifest', 'root'), '--runroot', join(root, 'manifest', 'run'), '--storage-driver', 'overlay'];
  await run('buildah', [...store, 'manifest', 'create', 'plain-list']);
  for (const a of archives) await run('buildah', [...store, 'manifest', 'add', 'plain-list', `oci-archive:${a}`]);
  await run('buildah', [...store, 'manifest', 'push', '--all', '--tls-verify=false', 'plain-list', `docker://${image}:${tag}`]);
  return performance.now() - started;
}

type Span = { name: string; startedAt: string | null; endedAt: string | null };
type TaskSpan = { platform: string; startedAt: string | null; finishedAt: string | null; phases: Array<Span & { kind: string }> };
/** Non-step phases, tasks and the build as `start → end` offsets from the build's creation: the gaps show. */
function timeline(b: { createdAt: string; finishedAt: string | null; phases: Span[]; tasks: TaskSpan[] }): string[] {
  const t0 = Date.parse(b.createdAt);
  const at = (iso: string | null) => (iso ? String(Date.parse(iso) - t0).padStart(5) : '    ?');
  const rows: Array<[number, string]> = [];
  for (const t of b.tasks) {
    rows.push([Date.parse(t.startedAt ?? b.createdAt), `${at(t.startedAt)} → ${at(t.finishedAt)}  ${t.platform} task`]);
    for (const p of t.phases.filter((p) => p.kind !== 'step'))
      rows.push([Date.parse(p.startedAt!), `${at(p.startedAt)} → ${at(p.endedAt)}  ${t.platform} ${p.name}`]);
  }
  for (const p of b.phases) rows.push([Date.parse(p.startedAt!), `${at(p.startedAt)} → ${at(p.endedAt)}  build ${p.name}`]);
  rows.push([Date.parse(b.finishedAt ?? b.createdAt), `${at(b.finishedAt)}          build finished`]);
  return rows.sort((x, y) => x[0] - y[0]).map(([, l]) => l);
}

async function main() {
  const services = await benchServices();
  const work = join(services.root, 'work');
  const repo = await makeGitRepo(join(work, 'repo'), { Containerfile: CONTAINERFILE, busybox: { copyFrom: '/bin/busybox' }, 'app.txt': 'bench\n' });
  const stack = await startStack({
    root: join(work, 'stack'),
    databaseUrl: services.databaseUrl,
    redisUrl: services.redisUrl,
    prefix: 'bench',
    registryHost: services.registryHost,
    agents: PLATFORMS,
  }).catch(async (err) => {
    await services.stop();
    throw err;
  });
  const db = new pg.Client({ connectionString: services.databaseUrl });
  await db.connect();
  const plain: number[] = [];
  const archway: number[] = [];
  const dispatch: number[] = [];
  // Where Archway's time goes, per phase (summed over platforms), to see what the overhead is made of.
  const phaseMs = new Map<string, number[]>();
  const toBuildah: number[] = [];
  let lastTimeline: string[] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      const plainRoot = join(work, `plain-${i}`);
      await mkdir(plainRoot, { recursive: true });
      plain.push(await plainScript(plainRoot, repo.dir, `${services.registryHost}/bench/plain`, `r${i}`));
      await rm(plainRoot, { recursive: true, force: true });
      // Cold storage per round, like the plain script: the agents' cache is not part of this claim.
      for (const p of PLATFORMS) {
        const agentDir = join(work, 'stack', `agent-${p.replace(/\//g, '-')}`);
        await rm(join(agentDir, 'storage'), { recursive: true, force: true });
        if (coldGit) await rm(join(agentDir, 'git'), { recursive: true, force: true });
      }

      const started = performance.now();
      const res = await stack.api('/api/v1/builds', {
        method: 'POST',
        body: JSON.stringify({
          source: { url: repo.url, ref: 'main', commit: repo.commit },
          platforms: PLATFORMS,
          image: `${services.registryHost}/bench/archway`,
          tags: [`r${i}`],
        }),
      });
      if (res.status !== 202) throw new Error(`POST /builds: ${res.status} ${await res.text()}`);
      const { id } = (await res.json()) as { id: string };
      for (;;) {
        const b = (await (await stack.api(`/api/v1/builds/${id}`)).json()) as { status: string; error: string | null };
        if (b.status === 'succeeded') break;
        if (b.status === 'failed' || b.status === 'canceled') throw new Error(`build ${b.status}: ${b.error}`);
        await new Promise((r) => setTimeout(r, 25));
      }
      archway.push(performance.now() - started);
      const detail = (await (await stack.api(`/api/v1/builds/${id}`)).json()) as {
        createdAt: string;
        finishedAt: string | null;
        phases: Array<{ name: string; startedAt: string; endedAt: string | null; durationMs: number | null }>;
        tasks: Array<{
          platform: string;
          startedAt: string | null;
          finishedAt: string | null;
          phases: Array<{ kind: string; name: string; startedAt: string; endedAt: string | null; durationMs: number | null }>;
        }>;
      };
      if (i === rounds - 1) lastTimeline = timeline(detail);
      for (const t of detail.tasks)
        for (const p of t.phases.filter((p) => p.kind !== 'step'))
          phaseMs.set(`${t.platform} ${p.kind}`, [...(phaseMs.get(`${t.platform} ${p.kind}`) ?? []), p.durationMs ?? 0]);
      for (const p of detail.phases) phaseMs.set(`build ${p.name}`, [...(phaseMs.get(`build ${p.name}`) ?? []), p.durationMs ?? 0]);
      // Dispatch: build row created (the flow is added in the same request) → agent took the job
      // (task.startedAt) and → buildah spawned (the `build` phase's start).
      const { rows } = await db.query(
        `SELECT EXTRACT(EPOCH FROM (t."startedAt" - b."createdAt")) * 1000 AS dispatch,
                EXTRACT(EPOCH FROM (p."startedAt" - b."createdAt")) * 1000 AS to_buildah
           FROM "Task" t JOIN "Build" b ON b.id = t."buildId"
           JOIN "Phase" p ON p."taskId" = t.id AND p.kind = 'build' WHERE b.id = $1`,
        [id],
      );
      for (const r of rows) {
        dispatch.push(Number(r.dispatch));
        toBuildah.push(Number(r.to_buildah));
      }
      console.log(`round ${i + 1}/${rounds}: plain ${plain[i]!.toFixed(0)} ms, archway ${archway[i]!.toFixed(0)} ms`);
    }
  } finally {
    await db.end();
    await stack.stop();
    await services.stop();
  }
  const ratio = median(archway) / median(plain);
  console.log('');
  console.log(`plain script  median ${median(plain).toFixed(0)} ms  (${plain.map((x) => x.toFixed(0)).join(', ')})`);
  console.log(`archway       median ${median(archway).toFixed(0)} ms  (${archway.map((x) => x.toFixed(0)).join(', ')})`);
  console.log(`ratio archway/plain: ${ratio.toFixed(3)}  (target <= 1.15; git cache ${coldGit ? 'emptied every round (--cold-git)' : 'cold in round 1 only'})`);
  console.log(
    `dispatch latency (queued → agent took job): p50 ${median(dispatch).toFixed(1)} ms, p95 ${percentile(dispatch, 95).toFixed(1)} ms  (target p50 < 100 ms)`,
  );
  console.log(`queued → buildah started (incl. clone):      p50 ${median(toBuildah).toFixed(1)} ms`);
  console.log('archway phases (median ms):');
  for (const [name, xs] of [...phaseMs].sort()) console.log(`  ${name.padEnd(32)} ${median(xs).toFixed(0)}`);
  console.log('last round, ms after the build was created (start → end):');
  for (const l of lastTimeline) console.log(`  ${l}`);
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
