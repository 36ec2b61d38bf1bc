import type { ApiClient } from './client.ts';
import { readSse } from './sse.ts';
import { isFinalBuildStatus, isFinalTaskStatus } from '@archway/contract';
import type { BuildView } from './types.ts';

export interface Output {
  out(line: string): void;
  err(line: string): void;
}

const POLL_MS = 1000;
/** Resolving takes a git round trip or two: look sooner, so the first log lines are not missed. */
const RESOLVE_POLL_MS = 200;
/** After the build is final, streams get this long to deliver their last lines. */
const DRAIN_MS = 10_000;

/**
 * Streams one platform's log (SSE) until the server ends it, resuming after a dropped connection
 * from the last event id. `prefix` goes before every line when several platforms interleave.
 */
export async function streamLog(client: ApiClient, buildId: string, platform: string, prefix: string, o: Output, signal: AbortSignal): Promise<void> {
  let lastId: string | undefined;
  for (let attempt = 0; attempt < 5 && !signal.aborted; attempt++) {
    try {
      const res = await client.raw(`/api/v1/builds/${buildId}/logs/stream?platform=${encodeURIComponent(platform)}`, {
        headers: { accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) },
        signal,
      });
      for await (const ev of readSse(res.body!)) {
        if (ev.id) lastId = ev.id;
        if (ev.event === 'end') return;
        if (ev.event === 'line') o.out(`${prefix}${ev.data}`);
      }
    } catch (err) {
      if (signal.aborted) return;
      o.err(`archway: log stream of ${platform} interrupted (${(err as Error).message}); resuming`);
    }
  }
}

/** Follows a build to its end: every platform's log live, then a summary. Returns the final build. */
export async function followBuild(client: ApiClient, buildId: string, o: Output): Promise<BuildView> {
  let build = await client.json<BuildView>('GET', `/api/v1/builds/${buildId}`);
  // Accepted builds have no tasks until the API resolved the ref (then queued, or failed).
  while (build.status === 'resolving') {
    await new Promise((r) => setTimeout(r, RESOLVE_POLL_MS));
    build = await client.json<BuildView>('GET', `/api/v1/builds/${buildId}`);
  }
  const many = build.tasks.length > 1;
  const streams = new Map(
    build.tasks.map((t) => {
      const controller = new AbortController();
      return [t.platform, { controller, done: streamLog(client, buildId, t.platform, many ? `[${t.platform}] ` : '', o, controller.signal) }];
    }),
  );
  while (!isFinalBuildStatus(build.status)) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    build = await client.json<BuildView>('GET', `/api/v1/builds/${buildId}`);
  }
  // Finished tasks' streams deliver their last lines and end; a task that never ran (its build
  // failed elsewhere) has nothing more to say.
  const timer = setTimeout(() => {
    for (const s of streams.values()) s.controller.abort();
  }, DRAIN_MS);
  for (const t of build.tasks) if (!isFinalTaskStatus(t.status)) streams.get(t.platform)?.controller.abort();
  await Promise.allSettled([...streams.values()].map((s) => s.done));
  clearTimeout(timer);
  return build;
}
