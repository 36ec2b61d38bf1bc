import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { AgentInfo } from '@archway/contract';
import { redisKeys } from '@archway/contract';
import { createToken } from '../auth/tokens.ts';
import { apiFixture, queueBuilds, type ApiFixture } from '../../testing/fixture.ts';
import { formatExposition } from './exposition.ts';

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
    const type = /^# TYPE (\w+) (gauge|counter)$/.exec(line);
    if (type) typed.add(type[1]!);
    if (line.startsWith('#')) continue;
    const m = /^(\w+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    if (!typed.has(m[1]!)) throw new Error(`${m[1]} has no TYPE line before its samples`);
    out.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
  }
  return out;
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

describe('formatExposition', () => {
  it('escapes label values and help text, and spells non-finite values as Prometheus does', () => {
    const text = formatExposition([{ name: 'x', help: 'a \\ b\nc', type: 'gauge', samples: [{ labels: { l: 'q"\\\n' }, value: 1.5 }, { value: Infinity }] }]);
    expect(text).toBe('# HELP x a \\\\ b\\nc\n# TYPE x gauge\nx{l="q\\"\\\\\\n"} 1.5\nx +Inf\n');
  });
});
