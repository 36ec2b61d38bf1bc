import type { BuildStatus, TaskStatus } from '@archway/contract';

const LABELS: Record<string, string> = {
  // Accepted; the API resolves the ref and reads .archway.yaml before it is queued.
  resolving: 'resolving',
  'waiting-for-approval': 'waiting for approval',
  queued: 'queued',
  running: 'running',
  publishing: 'publishing',
  succeeded: 'succeeded',
  built: 'built',
  failed: 'failed',
  canceled: 'canceled',
  requeued: 'given back',
};

const ICONS: Record<string, string> = {
  resolving: '◌',
  'waiting-for-approval': '⏸',
  queued: '○',
  running: '◔',
  publishing: '◑',
  succeeded: '✓',
  built: '✓',
  failed: '✕',
  canceled: '⊘',
  requeued: '↺',
};

/** Status as text plus an icon: colour is never the only signal. */
export function StatusBadge({ status, label }: { status: BuildStatus | TaskStatus | string; label?: string }) {
  return (
    <span className={`badge status-${status}`}>
      <span aria-hidden="true" className="badge-icon">
        {ICONS[status] ?? '•'}
      </span>
      {label ? `${label} ` : ''}
      {LABELS[status] ?? status}
    </span>
  );
}
