import type { Build } from '@archway/shared';
import { useCallback, useEffect, useState } from 'react';
import { ApiRequestError } from '../api/client.ts';
import { subscribeBuilds } from '../api/build-events.ts';
import { getBuild } from '../api/endpoints.ts';

/** One build, fetched once and then replaced by every change the event stream announces. */
export function useBuild(id: string) {
  const [build, setBuild] = useState<Build | null>(null);
  const [error, setError] = useState<{ status: number; message: string } | null>(null);

  const load = useCallback(async () => {
    try {
      const b = await getBuild(id);
      setBuild(b);
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
        if (b.id === id) setBuild(b);
      },
      onResync: () => void load(),
    });
  }, [id, load]);

  return { build, error, reload: load };
}
