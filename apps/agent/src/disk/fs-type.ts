// biome-ignore-all lint/complexity/useSimpleNumberKeys: statfs magic numbers read as in linux/magic.h
import { statfs } from 'node:fs/promises';

/**
 * Where buildah's overlay storage cannot live. overlayfs needs its upper layer on a local
 * filesystem with xattrs, whiteouts (char devices 0/0) and file handles; network and FUSE
 * filesystems lack some of these, and an overlay mount cannot be the upper layer of another.
 * The kernel's statfs magic numbers (linux/magic.h and the filesystems' own headers).
 */
const UNSUITABLE: Record<number, { name: string; kind: 'network' | 'fuse' | 'overlay' | 'stacked' }> = {
  0x6969: { name: 'NFS', kind: 'network' },
  0x00c36400: { name: 'CephFS', kind: 'network' },
  0x517b: { name: 'SMB', kind: 'network' },
  0xff534d42: { name: 'CIFS/SMB', kind: 'network' },
  0xfe534d42: { name: 'SMB2/3', kind: 'network' },
  0x01021997: { name: '9p', kind: 'network' },
  0x5346414f: { name: 'AFS', kind: 'network' },
  0x6b414653: { name: 'AFS (kAFS)', kind: 'network' },
  0x73757245: { name: 'Coda', kind: 'network' },
  0x564c: { name: 'NCP', kind: 'network' },
  0x0bd00bd0: { name: 'Lustre', kind: 'network' },
  0x47504653: { name: 'GPFS', kind: 'network' },
  0x65735546: { name: 'FUSE (e.g. GlusterFS, s3fs, virtiofs, sshfs)', kind: 'fuse' },
  0x794c7630: { name: 'overlayfs', kind: 'overlay' },
  0x61756673: { name: 'aufs', kind: 'stacked' },
  0xf15f: { name: 'eCryptfs', kind: 'stacked' },
};

export const KNOWN_LOCAL: Record<number, string> = {
  0xef53: 'ext2/3/4',
  0x58465342: 'XFS',
  0x9123683e: 'Btrfs',
  0x01021994: 'tmpfs',
  0x2fc12fc1: 'ZFS',
  0xf2f52010: 'F2FS',
};

export interface FsVerdict {
  /** The filesystem's name, or its magic number in hex when unknown. */
  name: string;
  /** Why buildah's overlay storage cannot work there and what to do; undefined when it can. */
  problem?: string;
}

export function classifyFs(magic: number, dir: string): FsVerdict {
  const bad = UNSUITABLE[magic];
  if (!bad) return { name: KNOWN_LOCAL[magic] ?? `0x${magic.toString(16)}` };
  const fix =
    'Put ARCHWAY_AGENT_DATA_DIR on a local disk: on Kubernetes an emptyDir or a local/hostPath volume ' +
    '(see deploy/), on a machine a local directory. Only finished archives leave the agent, through the object store; ' +
    'set ARCHWAY_AGENT_ALLOW_NETWORK_STORAGE=true to start anyway.';
  const why = {
    network: `${bad.name} is a network filesystem: overlayfs cannot use it as its upper layer (no whiteouts/xattrs it relies on) and every layer write would be a network round trip; buildah's vfs fallback copies every layer in full.`,
    fuse: `${bad.name} is a FUSE filesystem: overlayfs cannot use it as its upper layer.`,
    overlay: `it is itself an overlay mount (typically a container's root filesystem without a volume): the kernel refuses overlay on overlay as the upper layer.`,
    stacked: `${bad.name} is a stacking filesystem the kernel refuses as overlayfs' upper layer.`,
  }[bad.kind];
  return { name: bad.name, problem: `the agent's data dir ${dir} is on ${bad.name}; buildah's overlay storage cannot work there: ${why} ${fix}` };
}

/** Classifies the filesystem holding `dir` (statfs f_type). */
export async function storageFs(dir: string): Promise<FsVerdict> {
  const s = await statfs(dir);
  return classifyFs(Number(s.type), dir);
}
