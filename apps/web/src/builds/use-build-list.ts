import type { BuildSummary } from '@archway/contract';
import { useCallback, useEffect, useRef, useState } from 'react';
import { subscribeBuilds } from '../api/build-events.ts';
import { listBuilds, type BuildQuery } from '../api/endpoints.ts';

const PAGE = 50;

/** Whether a build belongs to a filtered list (the server's filters, applied to live events). */
export function matchesQuery(build: BuildSummary, q: BuildQuery): boolean {
  if (q.status && build.status !== q.status) return false;
  if (q.repoId && build.repoId !== q.repoId) return false;
  if (q.ref && ![q.ref, `refs/heads/${q.ref}`, `refs/tags/${q.ref}`].includes(build.source.ref)) return false;
  return true;
}

/** Newest builds first, kept current by the build event stream; older pages load on demand. */
export function useBuildList(query: BuildQuery, pageSize = PAGE) {
  const { status = '', repoId = '', ref = '' } = query;
  const [items, setItems] = useState<BuildSummary[]>([]);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const generation = useRef(0);
  // Builds pushed by the event stream, by id: newer than any page fetched before they arrived.
  const pushed = useRef(new Map<string, BuildSummary>());

  const load = useCallback(async () => {
    const gen = ++generation.current;
    pushed.current.clear();
    setLoading(true);
    try {
      const page = await listBuilds({ limit: pageSize, status, repoId, ref });
      if (gen !== generation.current) return;
      // Pushed snapshots win over the page; builds created while it loaded are kept too.
      const oldest = page.items[page.items.length - 1];
      const arrived = [...pushed.current.values()].filter((b) => matchesQuery(b, { status, repoId, ref }) && (!oldest || b.createdAt >= oldest.createdAt));
      setItems(mergeBuilds(page.items, arrived));
      setNextCursor(page.nextCursor);
      setError(null);
    } catch (err) {
      if (gen === generation.current) setError(err instanceof Error ? err.message : String(err));
    } finally {
      if (gen === generation.current) setLoading(false);
    }
  }, [status, repoId, ref, pageSize]);

  const loadMore = useCallback(async () => {
    if (!nextCursor) return;
    const gen = generation.current;
    try {
      const page = await listBuilds({ limit: pageSize, status, repoId, ref, cursor: nextCursor });
      if (gen !== generation.current) return;
      setItems((prev) => mergeBuilds(prev, page.items));
      setNextCursor(page.nextCursor);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }, [nextCursor, status, repoId, ref, pageSize]);

  useEffect(() => {
    void load();
    return subscribeBuilds({
      onBuild: (build) => {
        pushed.current.set(build.id, build);
        setItems((prev) => {
          const known = prev.some((b) => b.id === build.id);
          // A build that no longer matches the filters stays until the next reload, so rows do
          // not vanish under the user's cursor; new builds appear only if they match.
          if (!known && !matchesQuery(build, { status, repoId, ref })) return prev;
          // An unknown build older than the oldest row belongs to a page not loaded yet.
          const oldest = prev[prev.length - 1];
          if (!known && oldest && build.createdAt < oldest.createdAt) return prev;
          return mergeBuilds(prev, [build]);
        });
      },
      onResync: () => void load(),
    });
  }, [load, status, repoId, ref]);

  return { items, nextCursor, loading, error, loadMore, reload: load };
}

/** Upserts by id and keeps newest-first order. */
export function mergeBuilds(current: BuildSummary[], incoming: BuildSummary[]): BuildSummary[] {
  const byId = new Map(current.map((b) => [b.id, b]));
  for (const b of incoming) byId.set(b.id, b);
  return [...byId.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
}
