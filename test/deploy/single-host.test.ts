import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '@archway/contract';
import { CONFIG_ERROR_EXIT, NODE_FLAGS } from '../../apps/launcher/src/children.ts';

const run = promisify(execFile);
const dir = new URL('../../deploy/single-host/', import.meta.url).pathname;
const units = (await readdir(dir)).filter((f) => f.endsWith('.service')).sort();

/** `[Section]` → key → values (a key may repeat, as Environment= does). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[([A-Za-z]+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set(section[1]!, current);
      continue;
    }
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (!kv || !current) throw new Error(`line ${i + 1}: not "Key=value" inside a [Section]: ${raw}`);
    current.set(kv[1]!, [...(current.get(kv[1]!) ?? []), kv[2]!]);
  }
  return sections;
}

const systemdAnalyze = await run('systemd-analyze', ['--version']).then(
  () => true,
  () => false,
);

describe('deploy/single-host systemd units', () => {
  it('has the one-machine units and an agent-only unit for a second machine', () => {
    expect(units).toEqual(['archway-agent-remote.service', 'archway-agent.service', 'archway-api.service', 'archway-merger.service', 'archway.service']);
  });

  it.each(units)('%s verifies (systemd-analyze verify, else the unit syntax)', async (unit) => {
    const text = await readFile(join(dir, unit), 'utf8');
    const parsed = parseUnit(text);
    expect([...parsed.keys()]).toEqual(['Unit', 'Service', 'Install']);
    if (systemdAnalyze) {
      // It exits 0 on most mistakes and only complains on stderr: any complaint fails.
      const { stdout, stderr } = await run('systemd-analyze', ['verify', '--man=no', join(dir, unit)]);
      expect(`${stdout}${stderr}`.trim()).toBe('');
    }
  });

  it.each(units.filter((u) => u !== 'archway.service'))('%s runs a bundle with its node flags and does not restart on a configuration error', async (unit) => {
    const service = parseUnit(await readFile(join(dir, unit), 'utf8')).get('Service')!;
    const [node, ...args] = service.get('ExecStart')![0]!.split(' ');
    expect(node).toBe('/usr/bin/node');
    const role = /^dist\/(api|merger|agent)\.mjs$/.exec(args.at(-1)!)?.[1] as keyof typeof NODE_FLAGS;
    expect(role).toBeDefined();
    // The same node flags as the launcher gives that process (apps/launcher/src/children.ts).
    expect(args.slice(0, -1)).toEqual(NODE_FLAGS[role]);
    expect(service.get('RestartPreventExitStatus')).toEqual([String(CONFIG_ERROR_EXIT)]);
  });

  it.each(units.filter((u) => u.startsWith('archway-agent')))('%s lets a running build finish on stop', async (unit) => {
    const service = parseUnit(await readFile(join(dir, unit), 'utf8')).get('Service')!;
    // SIGTERM to the agent alone (buildah must not get it), and more time than the agent drains.
    expect(service.get('KillMode')).toEqual(['mixed']);
    const drain = service
      .get('Environment')!
      .find((e) => e.startsWith('ARCHWAY_AGENT_DRAIN_TIMEOUT='))!
      .split('=')[1]!;
    const stop = service.get('TimeoutStopSec')![0]!.replace(/min$/, 'm');
    expect(parseDuration(stop)!).toBeGreaterThan(parseDuration(drain)!);
  });
});
