import type { Build } from '@archway/contract';

/**
 * The commit status reported to the forge. A status that could not be reported never fails the
 * build, but the person looking at the build should know the forge is not showing it.
 */
export function CommitStatus({ build }: { build: Build }) {
  if (build.statusError) {
    return (
      <div className="banner banner-warn" role="status">
        <strong>The commit status was not reported to the forge.</strong>
        <p className="status-error">{build.statusError}</p>
      </div>
    );
  }
  if (!build.statusState) return null;
  return (
    <p className="muted small commit-status">
      Commit status on the forge: <strong>{build.statusState}</strong>
    </p>
  );
}
