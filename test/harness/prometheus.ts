import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from '@archway/runtime';
import { waitFor } from '../support/wait.ts';

export interface ScrapeTarget {
  job: string;
  /** host:port */
  address: string;
  /** Bearer token (the API's /metrics needs one with the read scope). */
  token?: string;
}

export interface TestPrometheus {
  url: string;
  /** An instant query through the HTTP API; throws on a query error (bad PromQL). */
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  /** The first sample's value of `expr`, or undefined when it returns nothing. */
  value(expr: string): Promise<number | undefined>;
  stop(): Promise<void>;
}

/**
 * Runs the real `prometheus` (Debian's package) on a loopback port, its data in `dir`, scraping
 * `targets` every `scrapeMs` and loading `ruleFiles` — the alert rules are read by the real
 * server, not only by promtool.
 */
export async function startPrometheus(opts: { dir: string; targets: ScrapeTarget[]; scrapeMs?: number; ruleFiles?: string[] }): Promise<TestPrometheus> {
  await mkdir(join(opts.dir, 'data'), { recursive: true });
  const port = await freePort();
  const interval = `${opts.scrapeMs ?? 1000}ms`;
  const jobs = opts.targets.map((t) => ({
    job_name: t.job,
    scrape_interval: interval,
    scrape_timeout: interval,
    static_configs: [{ targets: [t.address] }],
    ...(t.token ? { authorization: { type: 'Bearer', credentials: t.token } } : {}),
  }));
  const config = { global: { scrape_interval: interval, evaluation_interval: interval }, rule_files: opts.ruleFiles ?? [], scrape_configs: jobs };
  const configPath = join(opts.dir, 'prometheus.yml');
  // JSON is YAML: no serializer needed.
  await writeFile(configPath, JSON.stringify(config, null, 2));
  const child = spawn(
    'prometheus',
    [`--config.file=${configPath}`, `--storage.tsdb.path=${join(opts.dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    await waitFor(
      async () =>
        child.exitCode === null &&
        (await fetch(`${url}/-/ready`).then(
          (r) => r.ok,
          () => false,
        )),
      'prometheus to be ready',
      30_000,
    );
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}:\n${output}`);
  }
  const query: TestPrometheus['query'] = async (expr) => {
    const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: expr })}`);
    const body = (await res.json()) as { status: string; error?: string; data?: { result: unknown } };
    if (body.status !== 'success') throw new Error(`query ${expr}: ${body.error}`);
    return (body.data?.result ?? []) as Awaited<ReturnType<TestPrometheus['query']>>;
  };
  return {
    url,
    query,
    value: async (expr) => {
      const r = await query(expr);
      return r.length ? Number(r[0]!.value[1]) : undefined;
    },
    stop,
  };
}
