// @vitest-environment jsdom
import { cleanup, render, screen, within } from '@testing-library/react';
import type { SupplyChain } from '@archway/contract';
import { afterEach, describe, expect, it } from 'vitest';
import { at, build, task } from '../test-support/builds.ts';
import { SupplyChainInfo } from './supply-chain.tsx';

afterEach(cleanup);

const attestation = (platform: string, extra: Partial<SupplyChain['attestations'][number]> = {}): SupplyChain['attestations'][number] => ({
  platform,
  manifestDigest: `sha256:${'a'.repeat(64)}`,
  attestationDigest: `sha256:${'b'.repeat(64)}`,
  provenanceDigest: `sha256:${'c'.repeat(64)}`,
  sbomDigest: `sha256:${'d'.repeat(64)}`,
  packages: 91,
  sbomStatus: 'ok',
  generator: 'archway-sbom-1',
  baseImages: [{ uri: 'oci://registry.test/library/debian:bookworm', digest: `sha256:${'e'.repeat(64)}` }],
  agent: 'x86-1',
  startedOn: at(0),
  finishedOn: at(30),
  ...extra,
});

describe('<SupplyChainInfo>', () => {
  it('shows the provenance summary, the SBOM package count with its download, and the signature', () => {
    const b = build([task('linux/amd64', []), task('linux/arm64', [])], {
      status: 'succeeded',
      source: { url: 'https://git.test/me/app.git', ref: 'main', commit: '0123456789abcdef0123' },
      supplyChain: {
        attestations: [attestation('linux/amd64'), attestation('linux/arm64', { packages: 0, sbomStatus: 'missing', attestationDigest: null, agent: 'pi-1' })],
        signature: { tag: `sha256-${'f'.repeat(64)}.sig`, digest: `sha256:${'9'.repeat(64)}` },
        unsignedReason: null,
      },
    });
    render(<SupplyChainInfo build={b} />);
    const section = screen.getByRole('region', { name: 'Supply chain' });
    expect(section.textContent).toContain(`Signed (cosign) as sha256-${'f'.repeat(64)}.sig`);
    const amd = within(section).getByLabelText('linux/amd64 supply chain');
    expect(amd.textContent).toContain('SLSA v1: commit 0123456789ab, built on x86-1 from registry.test/library/debian:bookworm');
    expect(amd.textContent).toContain('91 packages (SPDX 2.3, archway-sbom-1)');
    expect(within(amd).getByRole('link', { name: 'Download SBOM' }).getAttribute('href')).toBe(`/api/v1/builds/${b.id}/sbom/linux-amd64`);
    const arm = within(section).getByLabelText('linux/arm64 supply chain');
    expect(arm.textContent).toContain('no packages (missing)');
    expect(arm.textContent).toContain('not attached (attestations off)');
  });

  it('says why an index is not signed, and shows nothing before anything was published', () => {
    const unsigned = build([task('linux/amd64', [])], {
      supplyChain: { attestations: [], signature: null, unsignedReason: 'the merger has no signing key (ARCHWAY_SIGNING_KEY)' },
    });
    render(<SupplyChainInfo build={unsigned} />);
    expect(screen.getByRole('region', { name: 'Supply chain' }).textContent).toContain('Not signed: the merger has no signing key (ARCHWAY_SIGNING_KEY)');
    cleanup();
    const { container } = render(<SupplyChainInfo build={build([task('linux/amd64', [])])} />);
    expect(container.textContent).toBe('');
  });
});
