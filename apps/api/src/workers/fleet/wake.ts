import type { Redis } from 'ioredis';

/**
 * Calls `onQueued` as soon as a job is added to one of the `queues` (BullMQ's event stream of each,
 * `<prefix>:<queue>:events`, read with one blocking XREAD on a connection of its own), so a build
 * queued for a pool at zero starts it now rather than at the next interval. Stops with `stop()`.
 */
export function watchQueued(conn: Redis, prefix: string, queues: () => string[], onQueued: () => void): { stop(): Promise<void> } {
  let stopped = false;
  const last = new Map<string, string>();
  const loop = async () => {
    while (!stopped) {
      const keys = queues().map((q) => `${prefix}:${q}:events`);
      if (keys.length === 0) {
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      try {
        // A stream first watched now: from now on (an id, not '$', so nothing added between two reads is missed).
        for (const k of keys) if (!last.has(k)) last.set(k, `${Date.now()}-0`);
        const ids = keys.map((k) => last.get(k)!);
        const res = (await conn.xread('BLOCK', 2000, 'STREAMS', ...keys, ...ids)) as Array<[string, Array<[string, string[]]>]> | null;
        let queued = false;
        for (const [key, entries] of res ?? []) {
          for (const [id, fields] of entries) {
            last.set(key, id);
            const event = fields[fields.indexOf('event') + 1];
            if (event === 'waiting' || event === 'added') queued = true;
          }
        }
        if (queued) onQueued();
      } catch {
        if (!stopped) await new Promise((r) => setTimeout(r, 1000)); // Redis away: the interval still runs
      }
    }
  };
  const running = loop();
  return {
    async stop() {
      stopped = true;
      conn.disconnect();
      await running;
    },
  };
}
