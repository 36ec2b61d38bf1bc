import type { Build } from '@archway/contract';
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiRequestError } from '../api/client.ts';
import { subscribeBuilds } from '../api/build-events.ts';
import { getBuild } from '../api/endpoints.ts';

/** One build, fetched once and then replaced by every change the event stream announces. */
export function useBuild(id: string) {
  const [build, setBuild] = useState<Build | null>(null);
  const [error, setError] = useState<{ status: number; message: string } | null>(null);
  // Counts pushed snapshots: a fetch that a pushed (newer) snapshot overtook must not win.
  const pushed = useRef(0);

  const load = useCallback(async () => {
    const seen = pushed.current;
    try {
      const b = await getBuild(id);
      if (pushed.current === seen) setBuild(b);
      setError(null);
    } catch (err) {
      setError({ status: err instanceof ApiRequestError ? err.status : 0, message: err instanceof Error ? err.message : String(err) });
    }
  }, [id]);

  useEffect(() => {
    setBuild(null);
    setError(null);
    void load();
    return subscribeBuilds({
      onBuild: (b) => {
        if (b.id !== id) return;
        pushed.current++;
        setBuild(b);
      },
      onResync: () => void load(),
    });
  }, [id, load]);

  // Never hand out a snapshot of another build (a late fetch for the previous id).
  return { build: build?.id === id ? build : null, error, reload: load };
}
