import { CliError, type ApiClient } from './client.ts';
import type { Output } from './follow.ts';
import type { BuildView } from './types.ts';

/**
 * `archway sbom|provenance <build-id> [--platform P]`: prints the platform's SPDX SBOM or SLSA
 * provenance statement as the API serves it (docs/supply-chain.md). Without --platform, a
 * one-platform build's; several platforms need one named.
 */
export async function supplyDocument(client: ApiClient, kind: 'sbom' | 'provenance', id: string, platform: string | undefined, o: Output): Promise<number> {
  let p = platform;
  if (!p) {
    const b = await client.json<BuildView>('GET', `/api/v1/builds/${id}`);
    const platforms = b.tasks.map((t) => t.platform);
    if (platforms.length !== 1) throw new CliError(`build ${id} has ${platforms.length} platforms (${platforms.join(', ')}): pass --platform`, 2);
    p = platforms[0]!;
  }
  const text = await (await client.raw(`/api/v1/builds/${id}/${kind}/${encodeURIComponent(p)}`)).text();
  o.out(JSON.stringify(JSON.parse(text), null, 2));
  return 0;
}
