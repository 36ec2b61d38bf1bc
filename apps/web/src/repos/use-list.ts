import { useCallback, useEffect, useState } from 'react';

/** A list the page loads, reloads after each change, and the error of the last load or change. */
export function useList<T>(load: () => Promise<T[]>) {
  const [items, setItems] = useState<T[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(async () => {
    try {
      setItems(await load());
      setError(null);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }, [load]);
  useEffect(() => {
    void reload();
  }, [reload]);
  /** Runs a change, then reloads; a refused change shows its message. */
  const change = async (action: () => Promise<unknown>): Promise<boolean> => {
    try {
      await action();
      await reload();
      return true;
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      return false;
    }
  };
  return { items, error, reload, change };
}
