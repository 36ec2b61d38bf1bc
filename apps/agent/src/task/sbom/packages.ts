/**
 * Operating-system package databases of an image's filesystem, parsed in plain TypeScript: dpkg
 * (`status`, and distroless's `status.d/`), apk (`installed`). rpm is detected but not read: its
 * database is SQLite (or BerkeleyDB before RHEL 9), which Node 20 cannot open without a native
 * library; such an image gets an SBOM that says so.
 */
export interface OsPackage {
  type: 'deb' | 'apk';
  name: string;
  version: string;
  arch?: string;
  source?: string;
  maintainer?: string;
  license?: string;
}

export interface OsRelease {
  id?: string;
  versionId?: string;
  prettyName?: string;
  versionCodename?: string;
}

export const DPKG_STATUS = 'var/lib/dpkg/status';
export const DPKG_STATUS_D = 'var/lib/dpkg/status.d/';
export const APK_INSTALLED = 'lib/apk/db/installed';
export const RPM_DATABASES = ['var/lib/rpm/rpmdb.sqlite', 'var/lib/rpm/Packages', 'usr/lib/sysimage/rpm/rpmdb.sqlite', 'usr/lib/sysimage/rpm/Packages'];
export const OS_RELEASE = ['etc/os-release', 'usr/lib/os-release'];

/** Control-file stanzas (RFC 822 style, continuation lines start with a space or tab). */
function stanzas(text: string): Map<string, string>[] {
  const out: Map<string, string>[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let last: string | undefined;
    for (const line of block.split('\n')) {
      if (/^[ \t]/.test(line) && last) fields.set(last, `${fields.get(last)}\n${line.trim()}`);
      else {
        const m = /^([A-Za-z0-9-]+):\s?(.*)$/.exec(line);
        if (m) fields.set((last = m[1]!.toLowerCase()), m[2]!.trim());
      }
    }
    if (fields.size) out.push(fields);
  }
  return out;
}

/** Installed packages of a dpkg `status` file (or one `status.d/` file): `Status: … installed` only, as dpkg-query lists them. */
export function parseDpkgStatus(text: string, requireStatus = true): OsPackage[] {
  const out: OsPackage[] = [];
  for (const f of stanzas(text)) {
    const name = f.get('package');
    const version = f.get('version');
    if (!name || !version) continue;
    // distroless status.d files carry no Status field: they list installed packages only.
    if (requireStatus && !/\sinstalled$/.test(f.get('status') ?? '')) continue;
    const pkg: OsPackage = { type: 'deb', name, version };
    const arch = f.get('architecture');
    if (arch) pkg.arch = arch;
    const source = f.get('source')?.split(' ')[0];
    if (source) pkg.source = source;
    const maintainer = f.get('maintainer');
    if (maintainer) pkg.maintainer = maintainer;
    out.push(pkg);
  }
  return out;
}

/** apk's `installed` database: `P:` name, `V:` version, `A:` arch, `L:` license, `o:` origin, `m:` maintainer. */
export function parseApkInstalled(text: string): OsPackage[] {
  const out: OsPackage[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const f = new Map<string, string>();
    for (const line of block.split('\n')) if (line[1] === ':') f.set(line[0]!, line.slice(2));
    const name = f.get('P');
    const version = f.get('V');
    if (!name || !version) continue;
    const pkg: OsPackage = { type: 'apk', name, version };
    if (f.get('A')) pkg.arch = f.get('A')!;
    if (f.get('o')) pkg.source = f.get('o')!;
    if (f.get('m')) pkg.maintainer = f.get('m')!;
    if (f.get('L')) pkg.license = f.get('L')!;
    out.push(pkg);
  }
  return out;
}

export function parseOsRelease(text: string): OsRelease {
  const v = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) v.set(m[1]!, m[2]!.replace(/^(["'])(.*)\1$/, '$2'));
  }
  const r: OsRelease = {};
  if (v.get('ID')) r.id = v.get('ID')!;
  if (v.get('VERSION_ID')) r.versionId = v.get('VERSION_ID')!;
  if (v.get('PRETTY_NAME')) r.prettyName = v.get('PRETTY_NAME')!;
  if (v.get('VERSION_CODENAME')) r.versionCodename = v.get('VERSION_CODENAME')!;
  return r;
}

/** Package URL (purl spec): `pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64&distro=debian-12`. */
export function purlOf(pkg: OsPackage, os: OsRelease): string {
  const namespace = encodeURIComponent(os.id ?? (pkg.type === 'deb' ? 'debian' : 'alpine'));
  const q: string[] = [];
  if (pkg.arch) q.push(`arch=${encodeURIComponent(pkg.arch)}`);
  if (os.id && os.versionId) q.push(`distro=${encodeURIComponent(`${os.id}-${os.versionId}`)}`);
  if (pkg.source && pkg.source !== pkg.name) q.push(`upstream=${encodeURIComponent(pkg.source)}`);
  return `pkg:${pkg.type}/${namespace}/${encodeURIComponent(pkg.name)}@${encodeURIComponent(pkg.version)}${q.length ? `?${q.join('&')}` : ''}`;
}
