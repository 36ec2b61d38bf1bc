/**
 * The one grammar for durations and sizes, and the one formatter pair, for every process and the
 * dashboard: repository `buildTimeout`, `ARCHWAY_RETAIN_*`, the agent's variables, the CLI.
 *
 * Why here and not in @archway/runtime: the dashboard (browser, @archway/contract only) shows
 * durations and sizes too and must format them exactly as the API, agent and CLI write them, so
 * the functions are pure and browser-safe.
 *
 * Durations: one or more `<number><unit>` parts, larger units first, each unit once; the number
 * may have a fraction: `500ms`, `90s`, `1.5h`, `1h30m`, `1d12h`, `2w`. Units: ms, s, m (minutes),
 * h, d, w. A bare `0` is allowed (where it configures "off"); any other bare number is refused,
 * because `7` could mean seconds or days and guessing wrong deletes data.
 *
 * Sizes: `<number>[unit]`: a bare number is bytes; B, KB/MB/GB/TB (powers of 1000), KiB/MiB/GiB/TiB
 * and K/M/G/T (powers of 1024), case-insensitive; `20%` (a share of a disk) where the caller allows it.
 */
export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const DURATION_UNITS = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const;
type DurationUnit = keyof typeof DURATION_UNITS;
const UNIT_ORDER = Object.keys(DURATION_UNITS) as DurationUnit[];
const DURATION_PART = /(\d+(?:\.\d+)?)\s*([a-z]+)\s*/gy;
const NUMBER_ONLY = /^\d+(?:\.\d+)?$/;

/** A duration in milliseconds, or why `text` is not one. */
export function readDuration(text: string): Parsed<number> {
  const t = text.trim().toLowerCase();
  const fail = (why: string): Parsed<number> => ({ ok: false, error: `"${text}" is not a duration: ${why}` });
  if (t === '') return fail('it is empty');
  if (t === '0') return { ok: true, value: 0 };
  if (t.startsWith('-')) return fail('it is negative');
  if (NUMBER_ONLY.test(t)) return fail(`a unit is missing (write ${t}s, ${t}m, ${t}h or ${t}d)`);
  let ms = 0;
  let lastRank = -1;
  let at = 0;
  DURATION_PART.lastIndex = 0;
  for (let m = DURATION_PART.exec(t); m; m = DURATION_PART.exec(t)) {
    const unit = m[2]!;
    if (!(unit in DURATION_UNITS)) return fail(`unknown unit "${unit}" (use ms, s, m, h, d or w)`);
    const rank = UNIT_ORDER.indexOf(unit as DurationUnit);
    if (rank <= lastRank) return fail('write each unit once, larger units first (like 1h30m)');
    lastRank = rank;
    ms += Number(m[1]) * DURATION_UNITS[unit as DurationUnit];
    at = DURATION_PART.lastIndex;
  }
  if (at !== t.length) return fail('write a number and a unit, like 90s, 1.5h, 1h30m or 7d');
  const value = Math.round(ms);
  if (!Number.isSafeInteger(value)) return fail('it is too long');
  return { ok: true, value };
}

/** Milliseconds, or undefined when `text` is not a duration (readDuration says why). */
export function parseDuration(text: string): number | undefined {
  const r = readDuration(text);
  return r.ok ? r.value : undefined;
}

/**
 * A duration as people read it and the grammar reads back: `850ms`, `1.5s`, `12s`, `1m30s`,
 * `1h2m`, `1d12h`, `90d`. Sub-second values under 10 s keep one decimal; from 10 s on, whole
 * seconds. Nothing known (null, NaN) is `–`. `parts` keeps only the largest units (the dashboard shows `1h2m`, not `1h2m3s`).
 * Weeks are written as days (`14d`), which is how operators count retention.
 */
export function formatDuration(ms: number | null | undefined, options: { parts?: number } = {}): string {
  if (ms == null || !Number.isFinite(ms)) return '–';
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  if (abs < 1000) return `${sign}${Math.round(abs)}ms`;
  if (abs < 10_000) return `${sign}${Math.round(abs / 100) / 10}s`;
  let rest = Math.round(abs / 1000) * 1000;
  const parts: string[] = [];
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = DURATION_UNITS[unit];
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return sign + parts.slice(0, options.parts ?? parts.length).join('');
}

/** A size as configured: bytes, or a share of the filesystem it applies to (with an optional cap). */
export type Size = { bytes: number } | { percent: number; capBytes?: number };

const SIZE_RE = /^(\d+(?:\.\d+)?)\s*([a-z%]*)$/;
const SIZE_UNITS: Record<string, number> = {
  '': 1,
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

/** A size, or why `text` is not one. `percent: true` where a share of a disk makes sense. */
export function readSize(text: string, options: { percent?: boolean } = {}): Parsed<Size> {
  const t = text.trim().toLowerCase();
  const example = options.percent ? '512MB, 4GiB, 1048576 or 20%' : '512MB, 4GiB or 1048576';
  const fail = (why: string): Parsed<Size> => ({ ok: false, error: `"${text}" is not a size: ${why}` });
  if (t === '') return fail('it is empty');
  if (t.startsWith('-')) return fail('it is negative');
  const m = SIZE_RE.exec(t);
  if (!m) return fail(`write a number and a unit, like ${example}`);
  const n = Number(m[1]);
  const unit = m[2]!;
  if (unit === '%') {
    if (!options.percent) return fail('a percentage is not allowed here');
    if (n > 100) return fail('a percentage is at most 100%');
    return { ok: true, value: { percent: n } };
  }
  const scale = SIZE_UNITS[unit];
  if (scale === undefined) return fail(`unknown unit "${unit}" (use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)`);
  const bytes = Math.round(n * scale);
  if (!Number.isSafeInteger(bytes)) return fail('it is too large');
  return { ok: true, value: { bytes } };
}

/** Undefined when the text is not a size (percentages allowed: the caller decides what they mean). */
export function parseSize(text: string): Size | undefined {
  const r = readSize(text, { percent: true });
  return r.ok ? r.value : undefined;
}

/** Bytes only (no percentages), or undefined. */
export function parseBytes(text: string): number | undefined {
  const r = readSize(text);
  return r.ok && 'bytes' in r.value ? r.value.bytes : undefined;
}

/** Bytes of a size on a filesystem of `totalBytes`. */
export function resolveSize(size: Size, totalBytes: number): number {
  if ('bytes' in size) return size.bytes;
  const share = Math.floor((totalBytes * size.percent) / 100);
  return size.capBytes === undefined ? share : Math.min(share, size.capBytes);
}

/**
 * Bytes in binary units, as the dashboard, the API's limits and the agent's disk lines show them:
 * `999 B`, `1.5 KiB`, `28 MiB`, `2.4 GiB`. Under 10 of a unit keeps one decimal.
 */
export function formatBytes(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = Math.abs(n);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const shown = i > 0 && v < 10 ? String(Math.round(v * 10) / 10) : String(Math.round(v));
  return `${n < 0 ? '-' : ''}${shown} ${units[i]}`;
}

/** A configured size: `2.4 GiB`, `20%`, `10% (at most 9.3 GiB)`. */
export function formatSize(size: Size): string {
  if ('bytes' in size) return formatBytes(size.bytes);
  return size.capBytes === undefined ? `${size.percent}%` : `${size.percent}% (at most ${formatBytes(size.capBytes)})`;
}
