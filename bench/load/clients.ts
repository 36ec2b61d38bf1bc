// bench/load: the HTTP clients. Each client loops POST /builds → GET /builds?limit=50 → GET the
// build it just created, timing every request; only the latencies are kept (bodies are read and dropped).
import { percentile } from '../lib/services.ts';

export type Api = (path: string, init?: RequestInit) => Promise<Response>;
export interface Latencies {
  post: number[];
  list: number[];
  get: number[];
}
export interface SubmitResult {
  latencies: Latencies;
  submitted: number;
  /** Non-2xx answers and network errors, by status ("error" for no answer). */
  failures: Map<string, number>;
  firstSubmitAt: number;
  lastSubmitAt: number;
}

async function timed(api: Api, path: string, init?: RequestInit): Promise<{ ms: number; status: number; body: string }> {
  const t0 = performance.now();
  const res = await api(path, init);
  const body = await res.text();
  return { ms: performance.now() - t0, status: res.status, body };
}

/** `count` builds of `body` submitted by `clients` concurrent loops; stops early at `deadline` (epoch ms). */
export async function submitBuilds(api: Api, body: string, count: number, clients: number, deadline: number): Promise<SubmitResult> {
  const latencies: Latencies = { post: [], list: [], get: [] };
  const failures = new Map<string, number>();
  const fail = (what: string) => failures.set(what, (failures.get(what) ?? 0) + 1);
  let next = 0;
  let submitted = 0;
  let firstSubmitAt = 0;
  let lastSubmitAt = 0;
  const loop = async () => {
    while (next < count && Date.now() < deadline) {
      next++;
      try {
        if (!firstSubmitAt) firstSubmitAt = Date.now();
        const post = await timed(api, '/api/v1/builds', { method: 'POST', body });
        lastSubmitAt = Date.now();
        if (post.status !== 202) {
          fail(`POST ${post.status}`);
          continue;
        }
        submitted++;
        latencies.post.push(post.ms);
        const { id } = JSON.parse(post.body) as { id: string };
        const list = await timed(api, '/api/v1/builds?limit=50');
        if (list.status === 200) latencies.list.push(list.ms);
        else fail(`GET list ${list.status}`);
        const get = await timed(api, `/api/v1/builds/${id}`);
        if (get.status === 200) latencies.get.push(get.ms);
        else fail(`GET :id ${get.status}`);
      } catch {
        fail('error');
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, loop));
  return { latencies, submitted, failures, firstSubmitAt, lastSubmitAt };
}

export function p(xs: number[], q: number): number {
  return xs.length ? percentile(xs, q) : Number.NaN;
}
