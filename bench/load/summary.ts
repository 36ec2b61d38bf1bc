// bench/load: the one summary table (markdown, so it can be pasted into bench/README.md).
import { p, type Latencies, type SubmitResult } from './clients.ts';
import type { TaskStats } from './db-stats.ts';
import type { SteadyReport } from './steady.ts';

export interface RunReport {
  tag: string;
  submit: SubmitResult;
  /** When agents could start on the builds: the first submit, or (simulated) when the workers started after the last. */
  workStartedAt: number;
  /** When Postgres showed every build final (polled every 200 ms). */
  drainedAt: number;
  statuses: Record<string, number>;
  notFinal: string[];
  stats: TaskStats;
  rows: Record<string, number>;
  redisBefore: { used: number; keys: number };
  redisAfter: { used: number; keys: number };
  loadavg: number;
  /** GET /builds?limit=50 latencies probed while the builds drained. */
  probe?: number[];
}

const ms = (x: number) => (Number.isFinite(x) ? `${x.toFixed(x < 10 ? 1 : 0)} ms` : '–');
const s = (x: number) => `${(x / 1000).toFixed(1)} s`;
const r = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '–');
const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

function run(report: RunReport | undefined) {
  if (!report) return undefined;
  const { submit, stats } = report;
  const drainMs = report.drainedAt - submit.firstSubmitAt;
  const agents = stats.agents.size || 1;
  const idealMs = sum(stats.taskMs) / agents; // tasks × mean task time ÷ agents
  const busiestMs = Math.max(0, ...[...stats.agents.values()].map((a) => a.busyMs));
  const finals = (report.statuses.succeeded ?? 0) + (report.statuses.failed ?? 0) + (report.statuses.canceled ?? 0);
  const workMs = report.drainedAt - report.workStartedAt;
  const eventsMs = stats.lastFinishedAt - report.workStartedAt;
  return { drainMs, workMs, eventsMs, idealMs, busiestMs, finals, perMinute: finals / (workMs / 60_000) };
}

export function printSummary(o: {
  builds: number;
  clients: number;
  platforms: string[];
  simConcurrency: number;
  rest: Latencies;
  real: RunReport;
  sim?: RunReport;
}) {
  const real = run(o.real)!;
  const sim = run(o.sim);
  const L = o.real.submit.latencies;
  const rows: string[][] = [];
  const add = (...cells: string[]) => rows.push(cells);
  for (const [name, key] of [
    ['POST /builds', 'post'],
    ['GET /builds?limit=50', 'list'],
    ['GET /builds/:id', 'get'],
  ] as const) {
    const rest = o.rest[key];
    const load = L[key];
    add(
      `${name} p50 / p99`,
      `rest ${ms(p(rest, 50))} / ${ms(p(rest, 99))} (n ${rest.length})`,
      `load ${ms(p(load, 50))} / ${ms(p(load, 99))} (n ${load.length})`,
      `load/rest ${r(p(load, 50) / p(rest, 50))} / ${r(p(load, 99) / p(rest, 99))}`,
    );
  }
  const st = o.real.stats;
  add('dispatch: slot free → task started', `p50 ${ms(p(st.pickupMs, 50))}`, `p99 ${ms(p(st.pickupMs, 99))}`, 'one build at a time per agent');
  add('queued → task started (backlog wait)', `p50 ${s(p(st.queueWaitMs, 50))}`, `p99 ${s(p(st.queueWaitMs, 99))}`, '');
  add(
    'task time (startedAt → finishedAt)',
    `mean ${ms(sum(st.taskMs) / (st.taskMs.length || 1))}`,
    `${st.taskMs.length} tasks, ${st.agents.size} agents`,
    [...st.agents].map(([a, v]) => `${a} ${v.tasks}`).join(', '),
  );
  add(
    'drain (first submit → all final in Postgres)',
    s(real.drainMs),
    `ideal ${s(real.idealMs)} (busiest agent ${s(real.busiestMs)})`,
    `**drain/ideal ${r(real.drainMs / real.idealMs)}** (target ≤ 1.1; vs busiest ${r(real.drainMs / real.busiestMs)})`,
  );
  for (const [label, rep, x] of [
    ['real agents', o.real, real],
    ['simulated agents', o.sim, sim],
  ] as const) {
    if (!rep || !x) {
      add(label, 'not run (no time left)', '', '');
      continue;
    }
    const failures = [...rep.submit.failures].map(([k, v]) => `${k}×${v}`).join(', ') || 'none';
    add(
      `${label}: builds`,
      `${rep.submit.submitted}/${o.builds} submitted (failures: ${failures})`,
      `final ${x.finals}: ${JSON.stringify(rep.statuses)}`,
      rep.notFinal.length ? `NOT FINAL: ${rep.notFinal.join('; ')}` : 'none lost',
    );
    add(
      `${label}: throughput`,
      `**${x.perMinute.toFixed(0)} builds/min**`,
      rep.workStartedAt === rep.submit.firstSubmitAt
        ? `drain ${s(x.drainMs)} (last finishedAt ${s(x.eventsMs)})`
        : `workers started after the last submit → all final in Postgres ${s(x.workMs)} (last finishedAt ${s(x.eventsMs)})`,
      `submit ${s(rep.submit.lastSubmitAt - rep.submit.firstSubmitAt)}, load avg ${rep.loadavg.toFixed(2)}`,
    );
    add(
      `${label}: Redis used_memory`,
      `${mib(rep.redisBefore.used)} → ${mib(rep.redisAfter.used)}`,
      `keys ${rep.redisBefore.keys} → ${rep.redisAfter.keys}`,
      '',
    );
    add(
      `${label}: Postgres rows`,
      Object.entries(rep.rows)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
      '',
      '',
    );
  }
  if (sim) add('coordinator ceiling / real', r(sim.perMinute / real.perMinute), `sim worker concurrency ${o.simConcurrency} per platform`, '');
  console.log('');
  console.log(`bench/load: ${o.builds} builds (${o.platforms.join(' + ')}, push: false) from ${o.clients} clients`);
  console.log('| measure | | | |');
  console.log('| --- | --- | --- | --- |');
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
}

/** `--sim-only`: the coordinator's ceiling and the API's latency meanwhile. */
export function printSimOnly(o: { builds: number; clients: number; simConcurrency: number; sim: RunReport }) {
  const x = run(o.sim)!;
  const rep = o.sim;
  const probe = rep.probe ?? [];
  const L = rep.submit.latencies;
  console.log('');
  console.log(
    `bench/load --sim-only: ${o.builds} two-platform builds (push: false) from ${o.clients} clients, simulated agents (${o.simConcurrency} per platform)`,
  );
  console.log('| measure | | |');
  console.log('| --- | --- | --- |');
  console.log(
    `| builds | ${rep.submit.submitted}/${o.builds} submitted, final ${x.finals}: ${JSON.stringify(rep.statuses)} | ${rep.notFinal.length ? `NOT FINAL: ${rep.notFinal.join('; ')}` : 'none lost'} |`,
  );
  console.log(
    `| throughput | **${x.perMinute.toFixed(0)} builds/min** (target ≥ 1,000) | workers started after the last submit → all final in Postgres ${s(x.workMs)}; submit ${s(rep.submit.lastSubmitAt - rep.submit.firstSubmitAt)}; load avg ${rep.loadavg.toFixed(2)} |`,
  );
  console.log(`| API while draining: GET /builds?limit=50 | p50 ${ms(p(probe, 50))} / **p99 ${ms(p(probe, 99))}** (n ${probe.length}) | target p99 < 100 ms |`);
  console.log(
    `| API while submitting: POST /builds | p50 ${ms(p(L.post, 50))} / p99 ${ms(p(L.post, 99))} (n ${L.post.length}) | GET list p99 ${ms(p(L.list, 99))}, GET :id p99 ${ms(p(L.get, 99))} |`,
  );
  console.log(
    `| Postgres rows | ${Object.entries(rep.rows)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')} | Redis ${mib(rep.redisBefore.used)} → ${mib(rep.redisAfter.used)} |`,
  );
}

/** The steady-rate run: did the drain keep up, and what did a dashboard see meanwhile. */
export function printSteady(o: SteadyReport & { statuses: Record<string, number>; loadavg: number }) {
  const spanMs = o.drainedAt - o.firstSubmitAt;
  const lagMs = o.drainedAt - o.lastSubmitAt;
  const failures = o.failures.size ? [...o.failures].map(([k, v]) => `${k} ×${v}`).join(', ') : 'none';
  console.log('');
  console.log(`bench/load --sim-only, steady: ${o.submitted} two-platform builds submitted at ${o.perMinute}/min, simulated agents running throughout`);
  console.log('| measure | | |');
  console.log('| --- | --- | --- |');
  console.log(`| builds | ${o.finals}/${o.submitted} final: ${JSON.stringify(o.statuses)}; failures: ${failures} | load avg ${o.loadavg.toFixed(2)} |`);
  console.log(
    `| created → published | **${(o.finals / (spanMs / 60_000)).toFixed(0)} builds/min** over ${s(spanMs)} (target ≥ 1,000) | last build final ${s(lagMs)} after the last submit |`,
  );
  console.log(`| API meanwhile: POST /builds | p50 ${ms(p(o.post, 50))} / **p99 ${ms(p(o.post, 99))}** (n ${o.post.length}) | target p99 < 100 ms |`);
  console.log(`| API meanwhile: GET /builds?limit=50 | p50 ${ms(p(o.list, 50))} / **p99 ${ms(p(o.list, 99))}** (n ${o.list.length}) | target p99 < 100 ms |`);
  console.log(`| API meanwhile: GET /builds/:id | p50 ${ms(p(o.page, 50))} / **p99 ${ms(p(o.page, 99))}** (n ${o.page.length}) | target p99 < 100 ms |`);
}
