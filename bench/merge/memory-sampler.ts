// Peak memory of a bench child, sampled: where the RSS goes (V8 heap vs Buffers outside it).
import { readFileSync } from 'node:fs';

// The kernel's maxRSS is the truth for the peak; the samples (every 10 ms) say what it was made of.

export interface MemoryPeaks {
  /** Kernel peak resident set (getrusage), MiB. */
  maxRssMiB: number;
  /** The sample with the highest RSS, MiB: rss, heapTotal, heapUsed, external (incl. arrayBuffers), arrayBuffers. */
  atPeak: Record<'rss' | 'heapTotal' | 'heapUsed' | 'external' | 'arrayBuffers', number> & { anon: number; file: number };
  /** Highest of each field over all samples, MiB. */
  highest: Record<'rss' | 'heapTotal' | 'heapUsed' | 'external' | 'arrayBuffers', number>;
}

const MiB = 1024 * 1024;

/** RssAnon / RssFile of /proc/self/status (Linux), MiB: private memory vs mapped code and files. */
function rssKinds(): { anon: number; file: number } {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
    return { anon: kb('RssAnon'), file: kb('RssFile') + kb('RssShmem') };
  } catch {
    return { anon: 0, file: 0 };
  }
}
const FIELDS = ['rss', 'heapTotal', 'heapUsed', 'external', 'arrayBuffers'] as const;

export function sampleMemory(intervalMs = 10): { stop(): MemoryPeaks } {
  const zero = () => Object.fromEntries(FIELDS.map((f) => [f, 0])) as MemoryPeaks['highest'];
  let atPeak: MemoryPeaks['atPeak'] = { ...zero(), anon: 0, file: 0 };
  const highest = zero();
  const take = () => {
    const m = process.memoryUsage();
    for (const f of FIELDS) highest[f] = Math.max(highest[f], m[f] / MiB);
    if (m.rss / MiB >= atPeak.rss) atPeak = { ...(Object.fromEntries(FIELDS.map((f) => [f, m[f] / MiB])) as MemoryPeaks['highest']), ...rssKinds() };
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return { maxRssMiB: process.resourceUsage().maxRSS / 1024, atPeak, highest };
    },
  };
}

/** `rss 150 = heap 40 (used 30) + external 60 (arrayBuffers 55) + rest 50`, MiB. */
export function describePeak(p: MemoryPeaks): string {
  const a = p.atPeak;
  const r = (x: number) => x.toFixed(0);
  return `at the peak sample: rss ${r(a.rss)} = heap ${r(a.heapTotal)} (used ${r(a.heapUsed)}) + external ${r(a.external)} (arrayBuffers ${r(a.arrayBuffers)}) + the rest ${r(a.rss - a.heapTotal - a.external)} MiB (of the rss: ${r(a.file)} mapped code and files, ${r(a.anon)} private)`;
}
