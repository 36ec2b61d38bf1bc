import { z } from 'zod';

/** An OCI platform as it appears in image configs and index entries. */
export interface Platform {
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

/**
 * Parses `os/arch[/variant]` (or a bare arch) into a canonical platform.
 * `linux/arm64/v8` normalises to `linux/arm64` (v8 is arm64's only baseline variant);
 * `linux/arm` defaults to v7. Throws with a message naming the input when it is unknown.
 */
export function parsePlatform(input: string): Platform {
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

/** `linux/arm/v7` */
export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** `linux-arm-v7`: safe in queue names, object keys and file names. */
export function platformSlug(p: Platform | string): string {
  const platform = typeof p === 'string' ? parsePlatform(p) : p;
  return formatPlatform(platform).replace(/\//g, '-');
}

/** Normalises a platform string; returns the canonical `os/arch[/variant]`. */
export function normalizePlatform(input: string): string {
  return formatPlatform(parsePlatform(input));
}

export function samePlatform(a: Platform, b: Platform): boolean {
  return formatPlatform(parsePlatform(formatPlatform(a))) === formatPlatform(parsePlatform(formatPlatform(b)));
}

/** A zod schema that accepts any spelling and yields the canonical platform string. */
export const PlatformString = z.string().transform((value, ctx) => {
  try {
    return normalizePlatform(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});
