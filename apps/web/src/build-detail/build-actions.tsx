import { isFinalBuildStatus, type Build } from '@archway/contract';
import { useState } from 'react';
import { cancelBuild, rebuild } from '../api/endpoints.ts';
import { useRouter } from '../router/router.tsx';

export function BuildActions({ build, onChanged }: { build: Build; onChanged(): void }) {
  const { navigate } = useRouter();
  const [busy, setBusy] = useState<'rebuild' | 'cancel' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const running = !isFinalBuildStatus(build.status);

  const run = async (what: 'rebuild' | 'cancel') => {
    setBusy(what);
    setError(null);
    try {
      if (what === 'rebuild') {
        const created = await rebuild(build.id);
        navigate(`/builds/${created.id}`);
      } else {
        await cancelBuild(build.id);
        onChanged();
      }
    } catch (err) {
      setError(`${what === 'rebuild' ? 'Rebuild' : 'Cancel'} failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      setBusy(null);
    }
  };

  return (
    <div className="build-actions">
      <button type="button" onClick={() => void run('rebuild')} disabled={busy !== null}>
        {busy === 'rebuild' ? 'Starting…' : 'Rebuild'}
      </button>
      {running && (
        <button type="button" className="danger" onClick={() => void run('cancel')} disabled={busy !== null}>
          {busy === 'cancel' ? 'Canceling…' : 'Cancel'}
        </button>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
