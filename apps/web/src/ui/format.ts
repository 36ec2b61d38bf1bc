/** Human-readable durations: "850 ms", "12.4 s", "3 m 05 s", "1 h 02 m". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms == null || !Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const totalS = Math.round(s);
  const m = Math.floor(totalS / 60);
  if (m < 60) return `${m} m ${String(totalS % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} m`;
}

export function relativeTime(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return '–';
  const diff = Math.max(0, now - Date.parse(iso));
  if (diff < 45_000) return 'just now';
  const m = Math.round(diff / 60_000);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 36) return `${h} h ago`;
  return new Date(iso).toLocaleDateString();
}

export function formatTime(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString() : '–';
}

/** Elapsed time of something that started and may still be running. */
export function elapsed(startedAt: string | null | undefined, finishedAt: string | null | undefined, now: number): number | null {
  if (!startedAt) return null;
  return (finishedAt ? Date.parse(finishedAt) : now) - Date.parse(startedAt);
}

/** "https://git.example.com/team/app.git" → "team/app". */
export function repoName(url: string): string {
  const cleaned = url.replace(/\.git$/, '').replace(/\/+$/, '');
  const scp = /^[^@/]+@[^:]+:(.+)$/.exec(cleaned);
  if (scp) return scp[1]!;
  try {
    const path = new URL(cleaned).pathname.replace(/^\/+/, '');
    return path || cleaned;
  } catch {
    return cleaned.split('/').slice(-2).join('/');
  }
}

export function shortDigest(digest: string | null | undefined): string {
  if (!digest) return '–';
  const [algo, hex] = digest.includes(':') ? digest.split(':') : ['', digest];
  return `${algo ? `${algo}:` : ''}${hex!.slice(0, 12)}`;
}

export function formatBytes(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 && i > 0 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}
