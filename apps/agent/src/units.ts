/**
 * Sizes and durations as operators write them in the environment: `512MB`, `10GiB`, `20%` (of the
 * data dir's filesystem), `90s`, `60m`, `48h`, `7d`.
 */
/** A percentage may carry a cap (buildkitd's defaults: "10% of the disk, at most 10 GB"). */
export type Size = { bytes: number } | { percent: number; capBytes?: number };

const SIZE_RE = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb|kib|mib|gib|tib|k|m|g|t|%)?$/i;
const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/** Undefined when the text is not a size. A bare number is bytes. */
export function parseSize(text: string): Size | undefined {
  const m = SIZE_RE.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = (m[2] ?? 'b').toLowerCase();
  if (unit === '%') return n <= 100 ? { percent: n } : undefined;
  return { bytes: Math.round(n * SIZE_UNITS[unit]!) };
}

/** Bytes of a size on a filesystem of `totalBytes`. */
export function resolveSize(size: Size, totalBytes: number): number {
  if ('bytes' in size) return size.bytes;
  const share = Math.floor((totalBytes * size.percent) / 100);
  return size.capBytes === undefined ? share : Math.min(share, size.capBytes);
}

export function formatSize(size: Size): string {
  if ('bytes' in size) return formatBytes(size.bytes);
  return size.capBytes === undefined ? `${size.percent}%` : `${size.percent}% (at most ${formatBytes(size.capBytes)})`;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v >= 100 ? 0 : 1)} ${units[i]}`;
}

const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/i;
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds; `0` alone is allowed (it disables what it configures). Undefined when not a duration. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (t === '0') return 0;
  const m = DURATION_RE.exec(t);
  return m ? Math.round(Number(m[1]) * DURATION_UNITS[m[2]!.toLowerCase()]!) : undefined;
}

export function formatDuration(ms: number): string {
  if (ms % 86_400_000 === 0 && ms >= 86_400_000) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0 && ms >= 3_600_000) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms >= 60_000) return `${ms / 60_000} min`;
  if (ms >= 1000) return `${Math.round(ms / 100) / 10} s`;
  return `${ms} ms`;
}
