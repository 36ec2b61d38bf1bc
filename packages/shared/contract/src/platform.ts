import { z } from 'zod';

/** An OCI platform as it appears in image configs and index entries (not validated). */
export interface PlatformParts {
  os: string;
  architecture: string;
  variant?: string;
}

// Kernel (`uname -m`) and common alias names → OCI architecture (+ default variant).
const ARCH_ALIASES: Record<string, { architecture: string; variant?: string }> = {
  x86_64: { architecture: 'amd64' },
  amd64: { architecture: 'amd64' },
  x64: { architecture: 'amd64' },
  aarch64: { architecture: 'arm64' },
  arm64: { architecture: 'arm64' },
  arm: { architecture: 'arm' },
  armv7l: { architecture: 'arm', variant: 'v7' },
  armv7: { architecture: 'arm', variant: 'v7' },
  armhf: { architecture: 'arm', variant: 'v7' },
  armv6l: { architecture: 'arm', variant: 'v6' },
  armel: { architecture: 'arm', variant: 'v6' },
  i386: { architecture: '386' },
  i686: { architecture: '386' },
  '386': { architecture: '386' },
  ppc64le: { architecture: 'ppc64le' },
  s390x: { architecture: 's390x' },
  riscv64: { architecture: 'riscv64' },
};

const KNOWN_VARIANTS: Record<string, string[]> = {
  arm: ['v5', 'v6', 'v7', 'v8'],
  arm64: ['v8', 'v9'],
};
const KNOWN_OS = new Set(['linux']);

/** Maps a kernel machine name (`uname -m`) to an OCI architecture, or undefined. */
export function archFromMachine(machine: string): { architecture: string; variant?: string } | undefined {
  return ARCH_ALIASES[machine.trim().toLowerCase()];
}

/** The canonical parts of `input`; throws with a message naming the input when it is unknown. */
function canonicalParts(input: string): PlatformParts {
  const parts = input.trim().toLowerCase().split('/');
  if (parts.length === 1) parts.unshift('linux');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) {
    throw new Error(`invalid platform "${input}": expected os/arch[/variant], e.g. linux/arm64`);
  }
  const [os, rawArch, rawVariant] = parts as [string, string, string | undefined];
  if (!KNOWN_OS.has(os)) throw new Error(`unsupported platform "${input}": os must be linux`);
  const alias = ARCH_ALIASES[rawArch];
  if (!alias) throw new Error(`unknown platform "${input}": architecture "${rawArch}" is not supported`);
  const architecture = alias.architecture;
  let variant = rawVariant ?? alias.variant;
  if (variant !== undefined) {
    const allowed = KNOWN_VARIANTS[architecture];
    if (!allowed?.includes(variant)) {
      throw new Error(`unknown platform "${input}": variant "${variant}" is not valid for ${architecture}`);
    }
    if (architecture === 'arm64' && variant === 'v8') variant = undefined;
  }
  if (architecture === 'arm' && variant === undefined) variant = 'v7';
  return variant ? { os, architecture, variant } : { os, architecture };
}

/** `linux/arm/v7`: how parts are written, canonical or not. */
const joinParts = (p: PlatformParts): string => [p.os, p.architecture, p.variant].filter(Boolean).join('/');

/**
 * A platform in canonical `os/arch[/variant]` form. Every edge (REST bodies and queries, webhooks,
 * `.archway.yaml`, agent configuration, job payloads) parses with this schema or `parsePlatform`;
 * code behind the edge takes `Platform` and compares, slugs and keys it as it is, never again
 * normalising. Accepts any spelling: `linux/arm64/v8` → `linux/arm64` (v8 is arm64's only
 * baseline variant), `linux/arm` → `linux/arm/v7`, `aarch64` → `linux/arm64`.
 */
export const Platform = z
  .string()
  .transform((value, ctx) => {
    try {
      return joinParts(canonicalParts(value));
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  })
  .brand<'Platform'>();
export type Platform = z.infer<typeof Platform>;

/** `Platform` for edges that are not schemas (e.g. an environment variable); throws with the schema's message. */
export function parsePlatform(input: string): Platform {
  const r = Platform.safeParse(input);
  if (!r.success) throw new Error(r.error.issues[0]?.message ?? `invalid platform "${input}"`);
  return r.data;
}

/** `Platform` when `input` names one, otherwise undefined (for lookups where unknown means "not found"). */
export function platformOrUndefined(input: string): Platform | undefined {
  const r = Platform.safeParse(input);
  return r.success ? r.data : undefined;
}

/**
 * A platform Archway itself stored after parsing it (a database column, a Redis hash field): already
 * canonical, so trusted without parsing again. Never for input from outside.
 */
export function storedPlatform(value: string): Platform {
  return value as Platform;
}

/** The parts of a canonical platform (to build an OCI index entry). */
export function platformParts(p: Platform): PlatformParts {
  const [os, architecture, variant] = p.split('/') as [string, string, string | undefined];
  return variant ? { os, architecture, variant } : { os, architecture };
}

/**
 * The platform an image config or buildah names (an edge: it may be one Archway does not know,
 * e.g. windows), canonical when recognised, otherwise undefined.
 */
export function platformOfImage(parts: PlatformParts): Platform | undefined {
  return parts.architecture ? platformOrUndefined(joinParts(parts)) : undefined;
}

/** For messages: an image's platform in canonical form when recognised, as written otherwise. */
export function describeImagePlatform(parts: PlatformParts): string {
  return platformOfImage(parts) ?? (joinParts(parts) || 'an unknown platform');
}

/** `linux-arm-v7`: safe in queue names, object keys and file names. */
export function platformSlug(p: Platform): string {
  return p.replace(/\//g, '-');
}
