import { existsSync } from 'node:fs';
import { capture } from './task/spawn.ts';

/** Bytes used by the buildah storage (the layer cache), via `du`; null when it cannot be measured. */
export async function measureBytes(dir: string): Promise<number | null> {
  if (!existsSync(dir)) return 0;
  try {
    const r = await capture('du', ['-sb', '--', dir]);
    const n = Number(r.lines[0]?.split('\t')[0]);
    return r.code === 0 && Number.isFinite(n) ? n : null;
  } catch {
    return null;
  }
}

/** Keeps the last measurement; `refresh` never runs two `du` at once (it can take a while). */
export class CacheSize {
  bytes: number | null = null;
  private running: Promise<void> | undefined;

  constructor(private readonly dir: string) {}

  refresh(): Promise<void> {
    this.running ??= measureBytes(this.dir)
      .then((b) => {
        this.bytes = b;
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }
}
