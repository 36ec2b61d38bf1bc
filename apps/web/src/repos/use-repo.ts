import type { Repo } from '@archway/contract';
import { useCallback, useEffect, useState } from 'react';
import { ApiRequestError } from '../api/client.ts';
import { getRepo } from '../api/endpoints.ts';

/** One registered repository; `replace` takes the answer of an edit without another request. */
export function useRepo(id: string) {
  const [repo, setRepo] = useState<Repo | null>(null);
  const [error, setError] = useState<{ status: number; message: string } | null>(null);
  const load = useCallback(async () => {
    try {
      setRepo(await getRepo(id));
      setError(null);
    } catch (err) {
      setError({ status: err instanceof ApiRequestError ? err.status : 0, message: err instanceof Error ? err.message : String(err) });
    }
  }, [id]);
  useEffect(() => {
    setRepo(null);
    void load();
  }, [load]);
  return { repo, error, reload: load, replace: setRepo };
}
