import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * When each image in the layer cache was last used by a build (ms since epoch): the "least
 * recently used" of GC. Images never recorded (pulled before, or left by a failed build) count
 * from their creation time. Kept in a small JSON file in the data dir, replaced atomically.
 */
export class CacheUsage {
  private lastUsed = new Map<string, number>();
  private loaded = false;

  constructor(private readonly file: string) {}

  async load(): Promise<void> {
    if (this.loaded) return;
    try {
      const data = JSON.parse(await readFile(this.file, 'utf8')) as Record<string, number>;
      this.lastUsed = new Map(Object.entries(data).filter(([, v]) => typeof v === 'number'));
    } catch {
      // Missing or damaged: every image counts from its creation time, which is safe.
      this.lastUsed = new Map();
    }
    this.loaded = true;
  }

  get(id: string, created: number): number {
    return this.lastUsed.get(id) ?? created;
  }

  async touch(ids: string[], at = Date.now()): Promise<void> {
    await this.load();
    for (const id of ids) this.lastUsed.set(id, at);
    await this.save();
  }

  /** Drops entries of images that no longer exist, then saves. */
  async retain(existing: Set<string>): Promise<void> {
    await this.load();
    for (const id of [...this.lastUsed.keys()]) if (!existing.has(id)) this.lastUsed.delete(id);
    await this.save();
  }

  private async save(): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    await writeFile(tmp, JSON.stringify(Object.fromEntries(this.lastUsed)));
    await rename(tmp, this.file);
  }
}
