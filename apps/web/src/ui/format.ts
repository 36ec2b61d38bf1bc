/** Durations and sizes are formatted as everywhere else (the API, agent and CLI): @archway/contract units.ts. */
export { formatBytes } from '@archway/contract';
import { formatDuration as formatAnyDuration } from '@archway/contract';

/** A duration on screen: the two largest units (`1h2m`, `3m5s`, `12s`, `850ms`); `–` when unknown. */
export function formatDuration(ms: number | null | undefined): string {
  return ms == null || ms < 0 ? '–' : formatAnyDuration(ms, { parts: 2 });
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
