import type { Build } from '@archway/contract';
import { CopyButton } from '../ui/copy-button.tsx';

/**
 * What the build published besides its images (docs/supply-chain.md): per platform the provenance
 * summary and the SBOM's package count with a download link; whether the index is signed.
 */
export function SupplyChainInfo({ build }: { build: Build }) {
  const chain = build.supplyChain;
  if (!chain) return null;
  const commit = build.source.commit?.slice(0, 12);
  return (
    <section className="card supply-chain" aria-labelledby="supply-title">
      <h2 id="supply-title">Supply chain</h2>
      <p className="signature">
        {chain.signature ? (
          <>
            <strong>Signed</strong> (cosign) as <code>{chain.signature.tag}</code> <CopyButton value={chain.signature.tag} label="signature tag" />
          </>
        ) : (
          <>
            <strong>Not signed</strong>
            {chain.unsignedReason && <span className="muted">: {chain.unsignedReason}</span>}
          </>
        )}
      </p>
      {chain.attestations.map((a) => {
        const slug = a.platform.replace(/\//g, '-');
        const sbomName = a.sbomStatus === 'ok' ? `${a.packages} packages` : `no packages (${a.sbomStatus})`;
        return (
          <dl key={a.platform} aria-label={`${a.platform} supply chain`}>
            <div>
              <dt>{a.platform} provenance</dt>
              <dd>
                SLSA v1: commit {commit ? <code>{commit}</code> : 'unknown'}, built on <code>{a.agent}</code>
                {a.baseImages.length > 0 && <> from {a.baseImages.map((b) => b.uri.replace(/^oci:\/\//, '')).join(', ')}</>}{' '}
                <a href={`/api/v1/builds/${build.id}/provenance/${slug}`} download>
                  provenance.json
                </a>
              </dd>
            </div>
            <div>
              <dt>{a.platform} SBOM</dt>
              <dd>
                {sbomName} (SPDX 2.3, {a.generator}){' '}
                <a href={`/api/v1/builds/${build.id}/sbom/${slug}`} download>
                  Download SBOM
                </a>
              </dd>
            </div>
            <div>
              <dt>{a.platform} attestation</dt>
              <dd>{a.attestationDigest ? <code>{a.attestationDigest}</code> : <span className="muted">not attached (attestations off)</span>}</dd>
            </div>
          </dl>
        );
      })}
    </section>
  );
}
