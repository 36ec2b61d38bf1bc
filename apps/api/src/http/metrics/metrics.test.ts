import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { AgentInfo } from '@archway/contract';
import { redisKeys } from '@archway/contract';
import { createToken } from '../auth/tokens.ts';
import { apiFixture, queueBuilds, type ApiFixture } from '../../testing/fixture.ts';
import { Counter, createMetricsRegistry, Histogram, mergeExpositions, MetricsPusher } from '@archway/runtime/metrics';

let f: ApiFixture;
beforeAll(async () => {
  f = await apiFixture({ allowLocalSources: true });
});
afterAll(async () => f?.close());

/** `name{labels}` → value, from the text format; also checks every family has HELP and TYPE. */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const typed = new Set<string>();
  for (const line of text.trimEnd().split('\n')) {
    const type = /^# TYPE (\w+) (gauge|counter|histogram|summary)$/.exec(line);
    if (type) typed.add(type[1]!);
    if (line.startsWith('#') || line === '') continue;
    const m = /^(\w+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const family = m[1]!.replace(/_(bucket|sum|count)$/, '');
    if (!typed.has(m[1]!) && !typed.has(family)) throw new Error(`${m[1]} has no TYPE line before its samples`);
    out.set(`${m[1]}${sortLabels(m[2])}`, Number(m[3]));
  }
  return out;
}

/** `{b="1",a="2"}` → `{a="2",b="1"}`: keys in tests do not depend on the order labels were written in. */
function sortLabels(labels: string | undefined): string {
  if (!labels) return '';
  const pairs = labels.slice(1, -1).match(/\w+="(?:[^"\\]|\\.)*"/g) ?? [];
  return `{${pairs.sort().join(',')}}`;
}

async function scrape(headers: Record<string, string> = f.auth) {
  return f.app.inject({ method: 'GET', url: '/metrics', headers });
}

describe('GET /metrics', () => {
  it('needs a token with the read scope', async () => {
    expect((await scrape({})).statusCode).toBe(401);
    expect((await scrape({ authorization: 'Bearer nope' })).json().message).toBe('invalid or revoked API token');
    const { token } = await createToken(f.prisma, 'prometheus', ['read']);
    const res = await scrape({ authorization: `Bearer ${token}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it('counts queued jobs per platform, live agents, publish jobs and builds by status', async () => {
    const before = parse((await scrape()).body);
    expect(before.get('archway_builds{status="queued"}')).toBe(0);
    expect(before.get('archway_tasks{status="built"}')).toBe(0);

    await queueBuilds(f, ['linux/arm64', 'linux/riscv64'], 2);
    const agent: z.input<typeof AgentInfo> = {
      id: 'pi-1',
      platform: 'linux/arm64',
      hostname: 'pi-1.lan',
      version: '0.1.0',
      state: 'idle',
      currentTasks: [],
      concurrency: 1,
      freeDiskBytes: 1e10,
      cacheBytes: 0,
      at: new Date().toISOString(),
    };
    await f.redis.set(redisKeys(f.prefix).agent(agent.id), JSON.stringify(agent), 'EX', 30);

    const firstAdded = Math.min(...(await f.queues.queue('build-linux-riscv64').getJobs(['waiting'])).map((j) => j.timestamp));
    const scrapedFrom = Date.now();
    const after = parse((await scrape()).body);
    expect(after.get('archway_queue_jobs{platform="linux/riscv64",state="waiting"}')).toBe(2);
    expect(after.get('archway_queue_jobs{platform="linux/arm64",state="waiting"}')).toBe(2);
    expect(after.get('archway_queue_jobs{platform="linux/arm64",state="active"}')).toBe(0);
    const oldest = after.get('archway_queue_oldest_waiting_seconds{platform="linux/riscv64"}')! * 1000;
    expect(oldest).toBeGreaterThanOrEqual(scrapedFrom - firstAdded);
    expect(oldest).toBeLessThan(Date.now() - firstAdded + 1000);
    expect(after.get('archway_agents{platform="linux/arm64"}')).toBe(1);
    expect(after.get('archway_agents{platform="linux/riscv64"}')).toBe(0);
    expect(after.get('archway_builds{status="queued"}')).toBe(2);
    expect(after.get('archway_tasks{status="queued"}')).toBe(4);
    // push: false builds still have a parent job (it records the result), waiting for its children.
    expect(after.get('archway_publish_jobs{state="waiting-children"}')).toBe(2);
  });
});

describe('metrics pushed by agents', () => {
  function agentRegistry(platform: string) {
    const registry = createMetricsRegistry();
    const tasks = new Counter({ name: 'archway_agent_tasks_total', help: 'tasks', labelNames: ['platform', 'outcome'], registers: [registry] });
    const phase = new Histogram({
      name: 'archway_agent_phase_duration_seconds',
      help: 'phases',
      labelNames: ['platform'],
      buckets: [1, 10],
      registers: [registry],
    });
    return { registry, tasks, phase, platform };
  }

  it('are exposed once per family with an agent label, and vanish when the agent stops or its key expires', async () => {
    const a = agentRegistry('linux/arm64');
    const b = agentRegistry('linux/amd64');
    a.tasks.inc({ platform: a.platform, outcome: 'built' }, 3);
    b.tasks.inc({ platform: b.platform, outcome: 'failed' });
    b.phase.observe({ platform: b.platform }, 4);
    const pa = new MetricsPusher({ redis: f.redis, prefix: f.prefix, role: 'agent', id: 'pi-a', registry: a.registry, intervalMs: 60_000 });
    const pb = new MetricsPusher({ redis: f.redis, prefix: f.prefix, role: 'agent', id: 'pi-b', registry: b.registry, intervalMs: 60_000 });
    await pa.push();
    await pb.push();

    const body = (await scrape()).body;
    const m = parse(body);
    expect(m.get('archway_agent_tasks_total{agent="pi-a",outcome="built",platform="linux/arm64"}')).toBe(3);
    expect(m.get('archway_agent_tasks_total{agent="pi-b",outcome="failed",platform="linux/amd64"}')).toBe(1);
    expect(m.get('archway_agent_phase_duration_seconds_bucket{agent="pi-b",le="10",platform="linux/amd64"}')).toBe(1);
    expect(m.get('archway_agent_phase_duration_seconds_count{agent="pi-b",platform="linux/amd64"}')).toBe(1);
    // One HELP/TYPE per family, whatever the number of agents (Prometheus refuses a split family).
    expect(body.match(/^# TYPE archway_agent_tasks_total /gm)).toHaveLength(1);

    await pa.stop();
    // pi-b dies without saying goodbye: its key expires (here: is gone), and the API drops it.
    await f.redis.del(redisKeys(f.prefix).pushedMetrics('agent', 'pi-b'));
    const after = parse((await scrape()).body);
    expect([...after.keys()].filter((k) => k.includes('agent="pi-'))).toEqual([]);
    expect(await f.redis.smembers(redisKeys(f.prefix).pushedMetricsIndex('agent'))).toEqual([]);
  });

  it('merge expositions: labels added first, with or without braces, one HELP and TYPE per family', () => {
    const text = (n: number) => `# HELP x_total Things.\n# TYPE x_total counter\nx_total{l="q\\""} ${n}\n\n# HELP y Y.\n# TYPE y gauge\ny ${n}\n`;
    expect(
      mergeExpositions([
        { labels: { agent: 'a' }, text: text(1) },
        { labels: { agent: 'b"c' }, text: text(2) },
      ]),
    ).toBe(
      '# HELP x_total Things.\n# TYPE x_total counter\nx_total{agent="a",l="q\\""} 1\nx_total{agent="b\\"c",l="q\\""} 2\n# HELP y Y.\n# TYPE y gauge\ny{agent="a"} 1\ny{agent="b\\"c"} 2\n',
    );
    expect(mergeExpositions([{ labels: { agent: 'a' }, text: '# HELP z Z.\n# TYPE z gauge\n' }])).toBe('');
  });
});
