import type { Repo } from '@archway/contract';
import { useCallback, useEffect, useState } from 'react';
import { listRepos } from '../api/endpoints.ts';

/** The registered repositories (they change rarely: loaded once per page, reloaded after edits). */
export function useRepos() {
  const [repos, setRepos] = useState<Repo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(async () => {
    try {
      setRepos(await listRepos());
      setError(null);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);
  return { repos, error, reload: load };
}
