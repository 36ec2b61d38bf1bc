import type {} from '../../../../../test/global-setup.ts';
import { createHash } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { describe, expect, inject, it } from 'vitest';
import { supplySchemas } from '../../../../../test/support/supply-chain.ts';
import { builtInSbom } from './index.ts';

type Entry = { name: string; data?: string; link?: string };

async function tarOf(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) {
    if (e.link !== undefined) pack.entry({ name: e.name, type: 'symlink', linkname: e.link });
    else pack.entry({ name: e.name }, e.data ?? '');
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const digestOf = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** An oci-archive as buildah writes one: blobs (gzip layers, config, manifest), then index.json. */
async function ociArchive(layers: Entry[][]): Promise<string> {
  const blobs = await Promise.all(layers.map(async (l) => gzipSync(await tarOf(l))));
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(config), size: config.length },
      layers: blobs.map((b) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: digestOf(b), size: b.length })),
    }),
  );
  const index = JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digestOf(manifest), size: manifest.length }],
  });
  const outer: Entry[] = [...blobs.reverse(), config, manifest].map((b) => ({ name: `blobs/sha256/${digestOf(b).slice(7)}`, data: b.toString('latin1') }));
  const pack = tar.pack();
  for (const e of outer) pack.entry({ name: e.name }, Buffer.from(e.data!, 'latin1'));
  pack.entry({ name: 'oci-layout' }, '{"imageLayoutVersion":"1.0.0"}');
  pack.entry({ name: 'index.json' }, index);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  const dir = await mkdtemp(join(inject('tmpRoot'), 'sbom-'));
  const path = join(dir, 'image.tar');
  await writeFile(path, Buffer.concat(chunks));
  return path;
}

const stanza = (name: string, version: string, status = 'install ok installed') =>
  `Package: ${name}\nStatus: ${status}\nArchitecture: amd64\nMaintainer: Debian Folks <folks@lists.debian.org>\nVersion: ${version}\nDescription: ${name}\n long text\n`;
const osRelease = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n';
const opts = { imageName: 'test/image', platform: 'linux/amd64', namespaceBase: 'https://archway.invalid/t' };
const names = (doc: Record<string, any>) =>
  (doc.packages as { name: string; versionInfo?: string; externalRefs?: unknown[] }[]).filter((p) => p.externalRefs).map((p) => `${p.name} ${p.versionInfo}`);

describe('the built-in SBOM reader (oci-archive layers, whiteouts, symlinks)', () => {
  const schemas = supplySchemas();

  it('lists installed dpkg packages of the final filesystem with purls and the os-release', async () => {
    const path = await ociArchive([
      [
        { name: 'usr/lib/os-release', data: osRelease },
        { name: 'etc/os-release', link: '../usr/lib/os-release' },
        { name: 'var/lib/dpkg/status', data: [stanza('libc6', '2.36-9'), stanza('gone', '1.0', 'deinstall ok config-files')].join('\n') },
        { name: 'var/lib/dpkg/status.d/old', data: stanza('distroless-old', '1') },
      ],
      [
        // apt in a later step rewrote status; an opaque status.d dropped the lower layer's files.
        { name: 'var/lib/dpkg/status', data: [stanza('libc6', '2.36-9'), stanza('libstdc++6', '1:12.2.0-14')].join('\n') },
        { name: 'var/lib/dpkg/status.d/.wh..wh..opq' },
        { name: 'var/lib/dpkg/status.d/tzdata', data: 'Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n' },
      ],
    ]);
    const sbom = await builtInSbom(path, opts);
    expect(sbom.status).toBe('ok');
    expect(names(sbom.document).sort()).toEqual(['libc6 2.36-9', 'libstdc++6 1:12.2.0-14', 'tzdata 2024a-0+deb12u1']);
    expect(sbom.packages).toBe(3);
    expect(schemas.spdx(sbom.document)).toEqual([]);
    const pkgs = sbom.document.packages as { name: string; SPDXID: string; supplier?: string; externalRefs?: { referenceLocator: string }[] }[];
    const libstd = pkgs.find((p) => p.name === 'libstdc++6')!;
    expect(libstd.externalRefs![0]!.referenceLocator).toBe('pkg:deb/debian/libstdc%2B%2B6@1%3A12.2.0-14?arch=amd64&distro=debian-12');
    expect(libstd.SPDXID).toMatch(/^SPDXRef-[A-Za-z0-9.-]+$/);
    expect(libstd.supplier).toBe('Person: Debian Folks (folks@lists.debian.org)');
    expect(pkgs.find((p) => p.name === 'debian')).toMatchObject({ versionInfo: '12', primaryPackagePurpose: 'OPERATING_SYSTEM' });
  });

  it('a whiteout of the database, or none at all, gives an SBOM that says so', async () => {
    const removed = await ociArchive([[{ name: 'var/lib/dpkg/status', data: stanza('libc6', '2.36-9') }], [{ name: 'var/lib/.wh.dpkg' }]]);
    const sbom = await builtInSbom(removed, opts);
    expect(sbom).toMatchObject({ status: 'missing', packages: 0 });
    expect(sbom.document.comment).toMatch(/no package database \(dpkg, apk or rpm\) was found/);
    expect(schemas.spdx(sbom.document)).toEqual([]);
  });

  it('reads apk, and says an rpm database is not read', async () => {
    const apk = await ociArchive([
      [
        { name: 'etc/os-release', data: 'ID=alpine\nVERSION_ID=3.19.1\n' },
        { name: 'lib/apk/db/installed', data: 'C:Q1abc\nP:musl\nV:1.2.4-r2\nA:x86_64\nL:MIT\no:musl\n\nP:busybox\nV:1.36.1-r15\nA:x86_64\n' },
      ],
    ]);
    const a = await builtInSbom(apk, opts);
    expect(names(a.document)).toEqual(['musl 1.2.4-r2', 'busybox 1.36.1-r15']);
    const purls = (a.document.packages as { externalRefs?: { referenceLocator: string }[] }[]).flatMap((p) => p.externalRefs ?? []);
    expect(purls[0]!.referenceLocator).toBe('pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19.1');

    const rpm = await ociArchive([[{ name: 'var/lib/rpm/rpmdb.sqlite', data: 'SQLite format 3\0' }]]);
    const r = await builtInSbom(rpm, opts);
    expect(r).toMatchObject({ status: 'unreadable', packages: 0 });
    expect(r.document.comment).toMatch(/rpm database, which the built-in reader does not read/);
  });

  it('an archive it cannot read gives an unreadable SBOM, not an error', async () => {
    const dir = await mkdtemp(join(inject('tmpRoot'), 'sbom-'));
    const path = join(dir, 'broken.tar');
    await writeFile(path, await tarOf([{ name: 'index.json', data: '{"manifests":[{"digest":"sha256:00"}]}' }]));
    const sbom = await builtInSbom(path, opts);
    expect(sbom).toMatchObject({ status: 'unreadable', packages: 0 });
    expect(sbom.document.comment).toMatch(/could not be read: the archive lacks manifest/);
  });
});
