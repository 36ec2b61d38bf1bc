import { useEffect, useMemo } from 'react';
import { logUrl } from '../api/endpoints.ts';
import { LogStore } from './log-store.ts';
import { connectLogStream } from './log-stream.ts';
import { loadLogText } from './log-text.ts';

// Stores survive tab switches: coming back to a platform shows its lines at once, and the new
// connection's replay is dropped by id. Bounded so a long session does not keep every log.
const MAX_CACHED = 8;
const cache = new Map<string, LogStore>();

function storeFor(key: string): LogStore {
  let store = cache.get(key);
  if (store) {
    cache.delete(key);
  } else {
    store = new LogStore();
  }
  cache.set(key, store);
  while (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value!);
  return store;
}

/**
 * The log of one task while the viewer is mounted. A finished task's log is downloaded whole
 * (from the object store; live Redis streams expire); a running one is streamed over SSE.
 * `attempt` reconnects when a retry starts after the previous attempt's stream ended.
 */
export function useTaskLog(buildId: string, platform: string, attempt: number, finished: boolean, image?: string | null): LogStore {
  const store = useMemo(() => storeFor(`${buildId}/${image ? `${image}/` : ''}${platform}`), [buildId, platform, image]);
  useEffect(() => {
    if (store.ended && attempt > store.attempt && !finished) store.reopen();
    store.attempt = Math.max(store.attempt, attempt);
    if (store.ended) return;
    if (finished && store.length === 0) return loadLogText(logUrl(buildId, platform, { image }), store);
    return connectLogStream(logUrl(buildId, platform, { stream: true, image }), store);
  }, [store, buildId, platform, attempt, finished, image]);
  return store;
}
