// bench/scale: signed GitHub push deliveries, and the clients that send them.
import { createHmac, randomUUID } from 'node:crypto';
import { percentile } from '../lib/services.ts';

export interface Timed {
  ms: number[];
  failures: Map<string, number>;
  wallMs: number;
}

export function pushBody(fullName: string, branch: string, commit: string, before: string, deleted = false): string {
  return JSON.stringify({
    ref: `refs/heads/${branch}`,
    before,
    after: deleted ? '0'.repeat(40) : commit,
    deleted,
    head_commit: deleted ? null : { id: commit, message: 'bench' },
    repository: { full_name: fullName },
  });
}

export function signedInit(secret: string, body: string): RequestInit {
  return {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
    },
  };
}

/** `count` requests made by `make(i)` from `clients` loops at once; every answer's time and status. */
export async function hammer(count: number, clients: number, send: (i: number) => Promise<Response>, ok: (status: number) => boolean): Promise<Timed> {
  const ms: number[] = [];
  const failures = new Map<string, number>();
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < count) {
        const i = next++;
        const start = performance.now();
        try {
          const res = await send(i);
          await res.arrayBuffer();
          if (ok(res.status)) ms.push(performance.now() - start);
          else failures.set(String(res.status), (failures.get(String(res.status)) ?? 0) + 1);
        } catch {
          failures.set('error', (failures.get('error') ?? 0) + 1);
        }
      }
    }),
  );
  return { ms, failures, wallMs: performance.now() - t0 };
}

export const p = (xs: number[], q: number) => (xs.length ? percentile(xs, q) : Number.NaN);
export const perSecond = (t: Timed) => t.ms.length / (t.wallMs / 1000);
export const fmt = (x: number) => (Number.isFinite(x) ? `${x.toFixed(x < 10 ? 1 : 0)} ms` : '–');
export const failed = (t: Timed) => [...t.failures].map(([k, v]) => `${k}×${v}`).join(', ') || 'none';
