import type { Repo, RepoUpdateInput } from '@archway/contract';
import { useState } from 'react';
import { updateRepo } from '../api/endpoints.ts';

export interface SaveMessage {
  error: boolean;
  text: string;
}

/**
 * One repository setting saved from a small form: busy while the PATCH runs, then a message
 * (the API's reason on failure). `then` runs after a success, e.g. to clear the form's fields.
 */
export function useRepoUpdate(repo: Repo, onSaved: (repo: Repo) => void) {
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<SaveMessage | null>(null);
  const save = async (patch: RepoUpdateInput, done: string, then?: () => void) => {
    setBusy(true);
    setMessage(null);
    try {
      const updated = await updateRepo(repo.id, patch);
      then?.();
      setMessage({ error: false, text: done });
      onSaved(updated);
    } catch (err) {
      setMessage({ error: true, text: err instanceof Error ? err.message : String(err) });
    } finally {
      setBusy(false);
    }
  };
  return { busy, message, save };
}
