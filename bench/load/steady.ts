// bench/load: the coordinator at a steady rate, agents simulated and running throughout. Builds
// are submitted open-loop (the i-th at start + i × interval, whatever the answers before it did,
// as forges and users do), while one prober reads what a dashboard reads — the build list and a
// build page — every 100 ms. Measures whether every build is published at that rate (the drain
// keeps up) and the API's latencies meanwhile; the burst run (run.ts) measures the ceiling.
import type pg from 'pg';
import type { Api } from './clients.ts';
import { waitForDrain } from './db-stats.ts';

export interface SteadyReport {
  perMinute: number;
  submitted: number;
  finals: number;
  failures: Map<string, number>;
  post: number[];
  list: number[];
  page: number[];
  firstSubmitAt: number;
  lastSubmitAt: number;
  drainedAt: number;
}

/** At most this many requests in flight: past it the API is not keeping up, and the run says so by failing. */
const MAX_IN_FLIGHT = 500;

export async function steadyRun(
  api: Api,
  db: pg.Client,
  o: { body: string; tag: string; builds: number; perMinute: number; until: number },
): Promise<SteadyReport> {
  const interval = 60_000 / o.perMinute;
  const report: SteadyReport = {
    perMinute: o.perMinute,
    submitted: 0,
    finals: 0,
    failures: new Map(),
    post: [],
    list: [],
    page: [],
    firstSubmitAt: 0,
    lastSubmitAt: 0,
    drainedAt: 0,
  };
  const fail = (what: string) => report.failures.set(what, (report.failures.get(what) ?? 0) + 1);
  const ids: string[] = [];
  let inFlight = 0;
  const submit = async () => {
    inFlight++;
    const t0 = performance.now();
    try {
      const res = await api('/api/v1/builds', { method: 'POST', body: o.body });
      const text = await res.text();
      if (res.status !== 202) {
        fail(`POST ${res.status}`);
        return;
      }
      report.post.push(performance.now() - t0);
      report.submitted++;
      ids.push((JSON.parse(text) as { id: string }).id);
    } catch {
      fail('POST error');
    } finally {
      inFlight--;
      report.lastSubmitAt = Date.now();
    }
  };
  let submitting = true;
  const prober = (async () => {
    while (submitting) {
      for (const [path, into] of [
        ['/api/v1/builds?limit=50', report.list],
        ...(ids.length ? ([[`/api/v1/builds/${ids[Math.floor(Math.random() * ids.length)]}`, report.page]] as const) : []),
      ] as const) {
        const t0 = performance.now();
        const res = await api(path).catch(() => undefined);
        await res?.arrayBuffer();
        if (res?.ok) into.push(performance.now() - t0);
        else fail(`GET ${res?.status ?? 'error'}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const start = performance.now();
  report.firstSubmitAt = Date.now();
  const sent: Promise<void>[] = [];
  for (let i = 0; i < o.builds && Date.now() < o.until; i++) {
    const due = start + i * interval - performance.now();
    if (due > 0) await new Promise((r) => setTimeout(r, due));
    if (inFlight >= MAX_IN_FLIGHT) throw new Error(`${inFlight} requests unanswered at ${o.perMinute} builds/min: the API is not keeping up`);
    sent.push(submit());
  }
  await Promise.all(sent);
  report.finals = await waitForDrain(db, o.tag, report.submitted, o.until);
  report.drainedAt = Date.now();
  submitting = false;
  await prober;
  return report;
}
