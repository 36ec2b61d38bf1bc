import { randomUUID } from 'node:crypto';
import { purlOf, type OsPackage, type OsRelease } from './packages.ts';

/** The built-in reader's name in the SPDX creators (`Tool: …`). */
export const SBOM_TOOL = 'archway-sbom-1';

export interface SpdxInput {
  /** `registry/repo` or the build id when nothing is pushed. */
  imageName: string;
  platform: string;
  packages: OsPackage[];
  os: OsRelease;
  /** Why no package could be listed (missing or unreadable database); empty when they were read. */
  problem?: string;
  /** Where documentNamespace points (this Archway's URL). */
  namespaceBase: string;
}

/** An SPDX 2.3 JSON document: the image as the described package, containing its OS packages. */
export function spdxDocument(input: SpdxInput): Record<string, unknown> {
  const imageId = 'SPDXRef-Image';
  const used = new Set<string>();
  const spdxId = (kind: string, name: string) => {
    const base = `SPDXRef-${kind}-${name.replace(/[^A-Za-z0-9.-]/g, '-')}`;
    let id = base;
    for (let n = 2; used.has(id); n++) id = `${base}-${n}`;
    used.add(id);
    return id;
  };
  const packages: Record<string, unknown>[] = [
    {
      name: input.imageName,
      SPDXID: imageId,
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      primaryPackagePurpose: 'CONTAINER',
      comment: `platform ${input.platform}`,
    },
  ];
  const relationships: Record<string, string>[] = [{ spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: imageId }];
  if (input.os.id) {
    const id = spdxId('OperatingSystem', input.os.id);
    packages.push({
      name: input.os.id,
      SPDXID: id,
      ...(input.os.versionId ? { versionInfo: input.os.versionId } : {}),
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      primaryPackagePurpose: 'OPERATING_SYSTEM',
      ...(input.os.prettyName ? { description: input.os.prettyName } : {}),
    });
    relationships.push({ spdxElementId: imageId, relationshipType: 'CONTAINS', relatedSpdxElement: id });
  }
  for (const pkg of input.packages) {
    const id = spdxId(`Package-${pkg.type}`, pkg.name);
    packages.push({
      name: pkg.name,
      SPDXID: id,
      versionInfo: pkg.version,
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      supplier: supplierOf(pkg.maintainer),
      licenseConcluded: 'NOASSERTION',
      licenseDeclared: 'NOASSERTION',
      copyrightText: 'NOASSERTION',
      primaryPackagePurpose: 'LIBRARY',
      ...(pkg.source ? { sourceInfo: `built from the ${pkg.type} source package ${pkg.source}` } : {}),
      externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: purlOf(pkg, input.os) }],
    });
    relationships.push({ spdxElementId: imageId, relationshipType: 'CONTAINS', relatedSpdxElement: id });
  }
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: `${input.imageName} ${input.platform}`,
    documentNamespace: `${input.namespaceBase.replace(/\/$/, '')}/spdx/${randomUUID()}`,
    creationInfo: {
      created: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      creators: [`Tool: ${SBOM_TOOL}`, 'Organization: Archway'],
      ...(input.problem ? { comment: input.problem } : {}),
    },
    ...(input.problem ? { comment: `No operating-system packages listed: ${input.problem}` } : {}),
    packages,
    relationships,
  };
}

/** dpkg's `Name <mail>` as SPDX wants it: `Person: Name (mail)`. */
function supplierOf(maintainer: string | undefined): string {
  if (!maintainer) return 'NOASSERTION';
  const m = /^(.*?)\s*<([^>]*)>\s*$/.exec(maintainer);
  return m ? `Person: ${m[1]} (${m[2]})` : `Person: ${maintainer}`;
}
