import { isFinalBuildStatus, type Build } from '@archway/contract';
import { useState } from 'react';
import { approveBuild, cancelBuild, rebuild } from '../api/endpoints.ts';
import { useRouter } from '../router/router.tsx';

type Action = 'rebuild' | 'cancel' | 'approve';
const FAILED: Record<Action, string> = { rebuild: 'Rebuild', cancel: 'Cancel', approve: 'Approve' };

export function BuildActions({ build, onChanged }: { build: Build; onChanged(): void }) {
  const { navigate } = useRouter();
  const [busy, setBusy] = useState<Action | null>(null);
  const [error, setError] = useState<string | null>(null);
  const running = !isFinalBuildStatus(build.status);
  const waiting = build.status === 'waiting-for-approval';

  const run = async (what: Action) => {
    setBusy(what);
    setError(null);
    try {
      if (what === 'rebuild') {
        const created = await rebuild(build.id);
        navigate(`/builds/${created.id}`);
      } else {
        await (what === 'approve' ? approveBuild(build.id) : cancelBuild(build.id));
        onChanged();
      }
    } catch (err) {
      setError(`${FAILED[what]} failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      setBusy(null);
    }
  };

  return (
    <div className="build-actions">
      {waiting && (
        <p className="approval-note">
          Waiting for approval: {build.approval?.reason ?? 'an untrusted pull request'}. Nothing runs on the agents until someone with the build scope approves
          it.
        </p>
      )}
      {waiting && (
        <button type="button" onClick={() => void run('approve')} disabled={busy !== null}>
          {busy === 'approve' ? 'Approving…' : 'Approve'}
        </button>
      )}
      <button type="button" onClick={() => void run('rebuild')} disabled={busy !== null}>
        {busy === 'rebuild' ? 'Starting…' : 'Rebuild'}
      </button>
      {running && (
        <button type="button" className="danger" onClick={() => void run('cancel')} disabled={busy !== null}>
          {busy === 'cancel' ? 'Canceling…' : 'Cancel'}
        </button>
      )}
      {!waiting && build.approval?.approvedBy && (
        <p className="muted">
          Approved by {build.approval.approvedBy}
          {build.approval.approvedAt ? ` at ${new Date(build.approval.approvedAt).toLocaleString()}` : ''}: {build.approval.reason}
        </p>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
