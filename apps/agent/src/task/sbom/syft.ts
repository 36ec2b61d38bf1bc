import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findOnPath } from '@archway/runtime';
import { runProcess } from '../spawn.ts';
import type { Sbom } from './index.ts';

/**
 * The SBOM by syft (ARCHWAY_AGENT_SBOM_SCANNER=syft), on the exported archive. Its document's
 * creators name syft (and its version) themselves. Throws when syft is missing or fails: the caller
 * falls back to the built-in reader.
 */
export async function syftSbom(archivePath: string, signal: AbortSignal): Promise<Sbom> {
  const syft = findOnPath('syft');
  if (!syft) throw new Error('syft is not on the PATH');
  const dir = await mkdtemp(join(tmpdir(), 'archway-syft-'));
  try {
    const out = join(dir, 'sbom.spdx.json');
    const r = await runProcess(syft, [`oci-archive:${archivePath}`, '-o', `spdx-json=${out}`, '-q'], { signal });
    if (r.code !== 0) throw new Error(`syft exited with ${r.code ?? r.signal}`);
    const document = JSON.parse(await readFile(out, 'utf8')) as Record<string, unknown> & { packages?: unknown[] };
    const packages = Math.max(0, (document.packages?.length ?? 1) - 1);
    return { document, packages, status: packages > 0 ? 'ok' : 'missing', generator: 'syft' };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
