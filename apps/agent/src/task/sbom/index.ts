import type { SbomStatus } from '@archway/contract';
import { readImageFiles, resolveFile, type ImageFile } from './image-files.ts';
import {
  APK_INSTALLED,
  DPKG_STATUS,
  DPKG_STATUS_D,
  OS_RELEASE,
  parseApkInstalled,
  parseDpkgStatus,
  parseOsRelease,
  RPM_DATABASES,
  type OsPackage,
  type OsRelease,
} from './packages.ts';
import { SBOM_TOOL, spdxDocument } from './spdx.ts';

export interface Sbom {
  document: Record<string, unknown>;
  packages: number;
  status: SbomStatus;
  generator: string;
}

/**
 * The SBOM of a built image from its oci-archive, with the built-in reader (see packages.ts). A
 * missing or unreadable package database gives an SBOM that says so, never a failed build.
 */
export async function builtInSbom(archivePath: string, o: { imageName: string; platform: string; namespaceBase: string }): Promise<Sbom> {
  let fs: Map<string, ImageFile>;
  try {
    fs = await readImageFiles(archivePath, { files: [DPKG_STATUS, APK_INSTALLED, ...RPM_DATABASES, ...OS_RELEASE], dirs: [DPKG_STATUS_D] });
  } catch (err) {
    return finish({ ...o, packages: [], os: {}, problem: `the image's layers could not be read: ${(err as Error).message}` }, 'unreadable');
  }
  const osText = OS_RELEASE.map((p) => resolveFile(fs, p)).find(Boolean);
  const os: OsRelease = osText ? parseOsRelease(osText.toString('utf8')) : {};
  const packages: OsPackage[] = [];
  const found: string[] = [];
  const dpkg = resolveFile(fs, DPKG_STATUS);
  if (dpkg) {
    found.push('dpkg');
    packages.push(...parseDpkgStatus(dpkg.toString('utf8')));
  }
  const statusD = [...fs.keys()].filter((k) => k.startsWith(DPKG_STATUS_D)).sort();
  for (const path of statusD) {
    const data = resolveFile(fs, path);
    if (data && !path.endsWith('.md5sums')) packages.push(...parseDpkgStatus(data.toString('utf8'), false));
  }
  if (statusD.length) found.push('dpkg status.d');
  const apk = resolveFile(fs, APK_INSTALLED);
  if (apk) {
    found.push('apk');
    packages.push(...parseApkInstalled(apk.toString('utf8')));
  }
  const rpm = RPM_DATABASES.find((p) => fs.has(p));
  if (rpm && packages.length === 0) {
    const problem = `/${rpm} is an rpm database, which the built-in reader does not read (SQLite/BerkeleyDB need a native library); set ARCHWAY_AGENT_SBOM_SCANNER=syft on an agent with syft`;
    return finish({ ...o, packages, os, problem }, 'unreadable');
  }
  if (found.length === 0) {
    return finish({ ...o, packages, os, problem: 'no package database (dpkg, apk or rpm) was found in the image' }, 'missing');
  }
  return finish({ ...o, packages: dedupe(packages), os }, 'ok');
}

function finish(input: Parameters<typeof spdxDocument>[0], status: SbomStatus): Sbom {
  return { document: spdxDocument(input), packages: input.packages.length, status, generator: SBOM_TOOL };
}

/** status and status.d may both list a package (a distroless image extended with apt): one entry. */
function dedupe(packages: OsPackage[]): OsPackage[] {
  const seen = new Map<string, OsPackage>();
  for (const p of packages) seen.set(`${p.type}/${p.name}/${p.arch ?? ''}`, p);
  return [...seen.values()];
}
