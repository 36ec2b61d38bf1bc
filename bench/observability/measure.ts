import type { Stack } from '../../test/harness/stack.ts';
import { median, percentile } from '../lib/services.ts';

/** One single-platform build, request → final, in ms; throws unless it succeeded. */
export async function timeBuild(stack: Stack, body: object): Promise<number> {
  const started = performance.now();
  const res = await stack.api('/api/v1/builds', { method: 'POST', body: JSON.stringify(body) });
  if (res.status !== 202) throw new Error(`POST /builds: ${res.status} ${await res.text()}`);
  const { id } = (await res.json()) as { id: string };
  for (;;) {
    const b = (await (await stack.api(`/api/v1/builds/${id}`)).json()) as { status: string; error: string | null };
    if (b.status === 'succeeded') return performance.now() - started;
    if (b.status === 'failed' || b.status === 'canceled') throw new Error(`build ${b.status}: ${b.error}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Requests per second `clients` keep-alive loops get from `path` in `seconds`. */
export async function requestsPerSecond(stack: Stack, path: string, clients: number, seconds: number): Promise<number> {
  const until = performance.now() + seconds * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < until) {
        const res = await stack.api(path);
        if (!res.ok) throw new Error(`GET ${path}: ${res.status}`);
        await res.arrayBuffer();
        done++;
      }
    }),
  );
  return done / seconds;
}

/** Times `n` sequential scrapes of /metrics (as one Prometheus does); returns ms and the body size. */
export async function timeScrapes(stack: Stack, n: number): Promise<{ p50: number; p95: number; bytes: number; series: number }> {
  const times: number[] = [];
  let body = '';
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    const res = await stack.api('/metrics');
    body = await res.text();
    if (!res.ok) throw new Error(`GET /metrics: ${res.status}`);
    times.push(performance.now() - started);
  }
  return { p50: median(times), p95: percentile(times, 95), bytes: body.length, series: body.split('\n').filter((l) => l && !l.startsWith('#')).length };
}
