import type { LogStore } from './log-store.ts';

const BATCH = 5000;

/**
 * Loads a finished task's whole log as text (the API serves it from the object store, or from
 * Redis while the upload is pending) and feeds it to the store as it downloads. Used only for an
 * empty store: an interrupted download is discarded, so a retry cannot duplicate lines.
 */
export function loadLogText(url: string, store: LogStore, fetchImpl: typeof fetch = fetch): () => void {
  const abort = new AbortController();
  void (async () => {
    try {
      const res = await fetchImpl(url, { signal: abort.signal, credentials: 'same-origin' });
      if (!res.ok || !res.body) {
        const body = (await res.json().catch(() => null)) as { message?: string } | null;
        store.fail(body?.message ? `The log cannot be loaded: ${body.message}` : `The log cannot be loaded (HTTP ${res.status}).`);
        return;
      }
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let rest = '';
      let batch: { id: null; line: string }[] = [];
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        const parts = (rest + value).split('\n');
        rest = parts.pop()!;
        for (const line of parts) batch.push({ id: null, line });
        if (batch.length >= BATCH) {
          store.append(batch);
          batch = [];
        }
      }
      if (rest) batch.push({ id: null, line: rest });
      store.append(batch);
      store.end();
    } catch (err) {
      store.reset();
      if (!abort.signal.aborted) store.fail(`The log download was interrupted: ${(err as Error).message}`);
    }
  })();
  return () => abort.abort();
}
