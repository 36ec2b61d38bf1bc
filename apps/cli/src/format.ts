import { formatDuration } from '@archway/contract';
import type { BuildView } from './types.ts';

function duration(from: string | null, to: string | null): string {
  if (!from || !to) return '';
  return formatDuration(Date.parse(to) - Date.parse(from));
}

/** A few lines a person reads at the end of `build --follow` and in `status`. */
export function describeBuild(b: BuildView, apiUrl: string): string[] {
  const lines = [`build ${b.id} ${b.status}${b.triggerRef ? ` (${b.triggerRef})` : ''}`];
  lines.push(`  source   ${b.source.url} ${b.source.ref}${b.source.commit ? ` @ ${b.source.commit.slice(0, 12)}` : ''}`);
  if (b.image) lines.push(`  image    ${b.image}${b.push ? ` tags ${b.tags.join(', ') || '(none)'}` : ' (not pushed)'}`);
  if (b.indexDigest) lines.push(`  index    ${b.indexDigest}`);
  for (const t of b.tasks) {
    lines.push(
      `  ${t.platform.padEnd(14)} ${t.status.padEnd(9)} ${duration(t.startedAt, t.finishedAt).padEnd(8)}${t.agent ? ` on ${t.agent}` : ''}${t.error ? `  ${t.error}` : ''}`,
    );
  }
  const chain = b.supplyChain;
  if (chain) {
    for (const a of chain.attestations) {
      lines.push(
        `  sbom     ${a.platform}: ${a.packages} packages (${a.sbomStatus}, ${a.generator})${a.attestationDigest ? ` attestation ${a.attestationDigest}` : ''}`,
      );
    }
    lines.push(chain.signature ? `  signed   ${chain.signature.tag}` : `  unsigned ${chain.unsignedReason ?? ''}`);
  }
  if (b.status !== 'succeeded' && b.error) lines.push(`  error    ${b.error}`);
  if (b.statusError) lines.push(`  forge    ${b.statusError}`);
  if (!b.push && b.status === 'succeeded') {
    for (const t of b.tasks) lines.push(`  archive  ${apiUrl}/api/v1/builds/${b.id}/artifacts/${t.platform.replace(/\//g, '-')}`);
  }
  return lines;
}
