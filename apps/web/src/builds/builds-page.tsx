import { useCallback, useMemo, useState } from 'react';
import { isFinalBuildStatus } from '@archway/contract';
import { useRouter } from '../router/router.tsx';
import { useRepos } from '../repos/use-repos.ts';
import { useNow } from '../ui/use-now.ts';
import { BuildFilters, filtersFromSearch, filtersToSearch, type Filters } from './build-filters.tsx';
import { BuildsTable } from './builds-table.tsx';
import { NewBuildForm } from './new-build-form.tsx';
import { useBuildList } from './use-build-list.ts';

export function BuildsPage() {
  const { search, navigate } = useRouter();
  const filters = filtersFromSearch(search);
  const { items, nextCursor, loading, error, loadMore } = useBuildList({ status: filters.status, repoId: filters.repo, ref: filters.branch });
  const { repos } = useRepos();
  const [showNew, setShowNew] = useState(false);
  const anyRunning = items.some((b) => !isFinalBuildStatus(b.status));
  const now = useNow(anyRunning);
  const repoNames = useMemo(() => new Map((repos ?? []).map((r) => [r.id, r.fullName])), [repos]);
  const filtered = Boolean(filters.status || filters.repo || filters.branch);
  const setFilters = useCallback((f: Filters) => navigate(`/builds${filtersToSearch(f)}`, true), [navigate]);

  return (
    <main id="main" className="page">
      <div className="page-head">
        <h1>Builds</h1>
        <button type="button" className="primary" aria-expanded={showNew} aria-controls="new-build" onClick={() => setShowNew((s) => !s)}>
          New build
        </button>
      </div>
      {showNew && <NewBuildForm id="new-build" onCancel={() => setShowNew(false)} />}
      <BuildFilters value={filters} repos={repos ?? []} onChange={setFilters} />
      {error && (
        <p className="error" role="alert">
          Could not load builds: {error}
        </p>
      )}
      {loading && items.length === 0 ? (
        <p className="muted">Loading builds…</p>
      ) : items.length === 0 ? (
        <p className="muted">{filtered ? 'No build matches these filters.' : 'No builds yet. Start one with “New build” or push to a connected repository.'}</p>
      ) : (
        <BuildsTable builds={items} now={now} caption="Builds, newest first; updates live" repoName={(b) => (b.repoId ? repoNames.get(b.repoId) : undefined)} />
      )}
      {nextCursor && (
        <button type="button" className="load-more" onClick={() => void loadMore()}>
          Load older builds
        </button>
      )}
    </main>
  );
}
