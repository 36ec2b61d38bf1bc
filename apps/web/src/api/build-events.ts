import type { Build } from '@archway/contract';
import { buildEventsUrl } from './endpoints.ts';

/**
 * One EventSource on /api/v1/events shared by every page (browsers limit connections per host;
 * a stream per component would exhaust them). Each change of a build arrives as the full Build.
 * After a reconnect, events sent while we were away are gone, so listeners are told to refetch.
 */
type Listener = { onBuild(build: Build): void; onResync?(): void };

const listeners = new Set<Listener>();
let source: EventSource | null = null;
let hadError = false;

function open(): void {
  source = new EventSource(buildEventsUrl);
  source.addEventListener('build', (ev) => {
    let build: Build;
    try {
      build = JSON.parse((ev as MessageEvent<string>).data) as Build;
    } catch {
      return;
    }
    for (const l of listeners) l.onBuild(build);
  });
  source.addEventListener('open', () => {
    if (!hadError) return;
    hadError = false;
    for (const l of listeners) l.onResync?.();
  });
  source.addEventListener('error', () => {
    hadError = true;
  });
}

export function subscribeBuilds(listener: Listener): () => void {
  listeners.add(listener);
  if (!source) open();
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && source) {
      source.close();
      source = null;
      hadError = false;
    }
  };
}
