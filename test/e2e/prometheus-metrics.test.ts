import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from '@archway/runtime';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { busyboxRepoFiles, makeGitRepo } from '../harness/git-repo.ts';
import { startPrometheus, type TestPrometheus } from '../harness/prometheus.ts';
import type { Stack } from '../harness/stack.ts';
import { startSuiteStack } from '../harness/suite-stack.ts';
import { dashboardExpressions } from '../observability/dashboard.ts';
import { waitFor } from '../support/wait.ts';

const monitoring = new URL('../../deploy/monitoring/', import.meta.url).pathname;

// A real Prometheus (loopback, 500 ms scrapes, its data in a temp dir, our alert rules loaded)
// scraping a real stack: the API's /metrics with a token (agents' and merger's pushed metrics
// included), and the agent's and merger's own /metrics ports. Everything is read back through
// Prometheus' HTTP API, polled with deadlines.
describe('Prometheus scraping a running stack', () => {
  let stack: Stack;
  let prom: TestPrometheus;
  let repo: { url: string; commit: string };
  const registry = inject('registryHost');
  const platform = 'linux/amd64';

  beforeAll(async () => {
    const root = await mkdtemp(join(inject('tmpRoot'), 'prom-e2e-'));
    repo = await makeGitRepo(join(root, 'repo'), busyboxRepoFiles('hello from prometheus\n'));
    const [agentPort, mergerPort] = [await freePort(), await freePort()];
    stack = await startSuiteStack(root, [platform], {
      ARCHWAY_METRICS_PUSH_INTERVAL: '500ms',
      ARCHWAY_AGENT_METRICS_PORT: String(agentPort),
      ARCHWAY_MERGER_METRICS_PORT: String(mergerPort),
    });
    prom = await startPrometheus({
      dir: join(root, 'prometheus'),
      scrapeMs: 500,
      ruleFiles: [join(monitoring, 'prometheus/archway-alerts.yaml')],
      targets: [
        { job: 'archway-api', address: stack.url.replace('http://', ''), token: stack.token },
        { job: 'archway-agent', address: `127.0.0.1:${agentPort}` },
        { job: 'archway-merger', address: `127.0.0.1:${mergerPort}` },
      ],
    });
  });
  afterAll(async () => {
    await prom?.stop();
    await stack?.stop();
  });

  /** Polls `expr` until its first value satisfies `ok`; the error names the last value seen. */
  async function until(expr: string, ok: (v: number) => boolean, what: string): Promise<number> {
    let last: number | undefined;
    return waitFor(
      async () => {
        last = await prom.value(expr);
        return last !== undefined && ok(last) ? last : undefined;
      },
      `${what} (${expr} was ${last})`,
      90_000,
    );
  }

  async function build(containerfile?: string): Promise<{ id: string; status: string }> {
    const res = await stack.api('/api/v1/builds', {
      method: 'POST',
      body: JSON.stringify({
        source: { url: repo.url, ref: 'main' },
        platforms: [platform],
        image: `${registry}/prom/app`,
        tags: ['1'],
        ...(containerfile ? { containerfile } : {}),
      }),
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    return stack.waitForFinal(id);
  }

  it('scrapes every target, with the agent and merger also seen through the API', async () => {
    for (const job of ['archway-api', 'archway-agent', 'archway-merger']) await until(`up{job="${job}"}`, (v) => v === 1, `${job} up`);
    await until(`archway_agents{job="archway-api",platform="${platform}"}`, (v) => v === 1, 'the agent counted live');
    await until(
      'count(archway_agent_concurrency{job="archway-api",agent="test-linux-amd64"})',
      (v) => v === 1,
      "the agent's pushed metrics with its agent label",
    );
    await until('count(archway_merger_process_start_time_seconds{job="archway-api"})', (v) => v >= 1, "the merger's pushed metrics");
  });

  it('shows a build in the histograms and a failing build in the cause counter', async () => {
    const phases = `sum(archway_agent_phase_duration_seconds_count{job="archway-api",platform="${platform}",phase="clone"})`;
    const before = (await prom.value(phases)) ?? 0;
    const ok = await build();
    expect(ok.status).toBe('succeeded');
    await until(phases, (v) => v > before, 'the clone phase histogram count grew');
    // The same agent's registry, scraped directly, agrees (the PodMonitor path).
    await until(`sum(archway_agent_phase_duration_seconds_count{job="archway-agent",phase="upload"})`, (v) => v >= 1, 'the direct scrape');
    await until('sum(archway_merger_publish_duration_seconds_count{job="archway-api",outcome="succeeded"})', (v) => v >= 1, 'a publish recorded');
    await until('sum(archway_merger_manifests_put_total{job="archway-merger",reference="tag"})', (v) => v >= 1, 'a tag written');
    await until('sum(archway_http_request_duration_seconds_count{route="/api/v1/builds",method="POST",code="202"})', (v) => v >= 1, 'the POST timed');
    await until('sum(archway_builds_created_total{trigger="api"})', (v) => v >= 1, 'the build counted');

    const cause = `sum(archway_agent_tasks_total{job="archway-api",outcome="failed",cause="step-failed"})`;
    const failedBefore = (await prom.value(cause)) ?? 0;
    const failed = await build('fail/Containerfile');
    expect(failed.status).toBe('failed');
    await until(cause, (v) => v > failedBefore, 'the step-failed counter moved');
    // The second build cloned the same commit: the agent's git cache answered.
    await until('sum(archway_agent_git_cache_total{job="archway-api",result="hit"})', (v) => v >= 1, 'a git cache hit');
    await until('sum(archway_merger_blobs_total{job="archway-api",result="uploaded"})', (v) => v >= 1, 'blobs uploaded');
    await until('sum(archway_merger_pushed_bytes_total{job="archway-api"})', (v) => v > 0, 'bytes pushed');
    await until('sum(archway_agent_uploaded_bytes_total{job="archway-api"})', (v) => v > 0, 'archive bytes uploaded');
  });

  it('keeps build ids and commits out of every label value', async () => {
    const res = await fetch(`${prom.url}/api/v1/series?${new URLSearchParams({ 'match[]': '{__name__=~"archway_.+"}' })}`);
    const series = ((await res.json()) as { data: Record<string, string>[] }).data;
    expect(series.length).toBeGreaterThan(50);
    const builds = ((await (await stack.api('/api/v1/builds')).json()) as { items: { id: string; tasks?: { id: string }[] }[] }).items;
    const forbidden = [repo.commit, repo.commit.slice(0, 12), ...builds.map((b) => b.id)];
    expect(builds.length).toBeGreaterThanOrEqual(2);
    for (const s of series) {
      for (const value of Object.values(s))
        expect(
          forbidden.some((f) => value.includes(f)),
          `${JSON.stringify(s)}`,
        ).toBe(false);
    }
  });

  it('evaluates every dashboard query and alert rule without error in Prometheus', async () => {
    const dashboard = JSON.parse(readFileSync(join(monitoring, 'grafana/archway-dashboard.json'), 'utf8'));
    for (const { panel, expr } of dashboardExpressions(dashboard)) {
      await expect(prom.query(expr), panel).resolves.toBeInstanceOf(Array);
    }
    const res = await fetch(`${prom.url}/api/v1/rules`);
    const groups = ((await res.json()) as { data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] } }).data.groups;
    const rules = groups.flatMap((g) => g.rules);
    expect(rules).toHaveLength(7);
    await waitFor(
      async () => {
        const now = (
          (await (await fetch(`${prom.url}/api/v1/rules`)).json()) as typeof res extends never ? never : { data: { groups: { rules: { health: string }[] }[] } }
        ).data.groups.flatMap((g) => g.rules);
        return now.every((r) => r.health === 'ok');
      },
      'every rule evaluated healthy',
      30_000,
    );
  });
});
