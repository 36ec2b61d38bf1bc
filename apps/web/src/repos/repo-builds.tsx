import { isFinalBuildStatus, type Repo } from '@archway/contract';
import { BuildsTable } from '../builds/builds-table.tsx';
import { useBuildList } from '../builds/use-build-list.ts';
import { Link } from '../router/router.tsx';
import { TrendChart } from '../trend/trend-chart.tsx';
import { useNow } from '../ui/use-now.ts';

const TREND = 30;
const SHOWN = 10;

/** The repository's latest builds (live) and how long each platform took over them. */
export function RepoBuilds({ repo }: { repo: Repo }) {
  const { items, loading, error } = useBuildList({ repoId: repo.id }, TREND);
  const now = useNow(items.some((b) => !isFinalBuildStatus(b.status)));
  return (
    <section aria-labelledby="repo-builds-title">
      <div className="section-head">
        <h2 id="repo-builds-title">Builds</h2>
        <Link href={`/builds?repo=${encodeURIComponent(repo.id)}`}>All builds of {repo.fullName}</Link>
      </div>
      {error && (
        <p className="error" role="alert">
          Could not load builds: {error}
        </p>
      )}
      {items.length > 0 && (
        <>
          <h3 id="trend-title">Duration per platform</h3>
          <TrendChart builds={items.slice(0, TREND)} limit={TREND} />
        </>
      )}
      {loading && items.length === 0 ? (
        <p className="muted">Loading builds…</p>
      ) : items.length === 0 ? (
        <p className="muted">No build yet: push to the repository, or use “Build ref”.</p>
      ) : (
        <BuildsTable
          builds={items.slice(0, SHOWN)}
          now={now}
          caption={`Latest builds of ${repo.fullName}, newest first; updates live`}
          repoName={() => repo.fullName}
        />
      )}
    </section>
  );
}
