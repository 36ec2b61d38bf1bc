import { useEffect, useState } from 'react';
import { getRepo } from '../api/endpoints.ts';
import { Link } from '../router/router.tsx';

/** The registered repository a build came from, linked to its page (its name once loaded). */
export function RepoLink({ repoId, fallback }: { repoId: string; fallback: string }) {
  const [name, setName] = useState<string | null>(null);
  useEffect(() => {
    let alive = true;
    getRepo(repoId).then(
      (r) => alive && setName(r.fullName),
      () => {},
    );
    return () => {
      alive = false;
    };
  }, [repoId]);
  return (
    <Link href={`/repos/${repoId}`} className="repo-link">
      {name ?? fallback}
    </Link>
  );
}
