import type { Repo } from '@archway/contract';
import { useState, type FormEvent } from 'react';
import { buildRepoRef } from '../api/endpoints.ts';
import { useRouter } from '../router/router.tsx';

/** Builds a branch, tag or pull request of the repository with its rules (POST /repos/:id/builds). */
export function BuildRefForm({ repo }: { repo: Repo }) {
  const { navigate } = useRouter();
  const [ref, setRef] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const created = await buildRepoRef(repo.id, ref.trim() ? { ref: ref.trim() } : {});
      navigate(`/builds/${created.id}`);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  };

  return (
    <form className="inline-form build-ref" onSubmit={submit} aria-label="Build a ref">
      <div className="field">
        <label htmlFor="br-ref">Branch, tag or refs/pull/&lt;n&gt;/head</label>
        <input id="br-ref" value={ref} onChange={(e) => setRef(e.target.value)} placeholder={repo.defaultBranch} aria-invalid={error ? true : undefined} />
      </div>
      <button type="submit" className="primary" disabled={busy}>
        {busy ? 'Starting…' : 'Build ref'}
      </button>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
