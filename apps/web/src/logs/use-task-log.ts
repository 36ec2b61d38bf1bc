import { useEffect, useMemo } from 'react';
import { logUrl } from '../api/endpoints.ts';
import { LogStore } from './log-store.ts';
import { connectLogStream } from './log-stream.ts';

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
 * The log of one task, streamed while the viewer is mounted. `attempt` reconnects when a retry
 * starts after the previous attempt's stream ended.
 */
export function useTaskLog(buildId: string, platform: string, attempt: number): LogStore {
  const store = useMemo(() => storeFor(`${buildId}/${platform}`), [buildId, platform]);
  useEffect(() => {
    if (store.ended && attempt > store.attempt) store.reopen();
    store.attempt = Math.max(store.attempt, attempt);
    return connectLogStream(logUrl(buildId, platform, { stream: true }), store);
  }, [store, buildId, platform, attempt]);
  return store;
}
