import type { Build, TaskAttempt } from '@archway/contract';
import { elapsed, formatDuration, formatTime } from '../ui/format.ts';
import { StatusBadge } from '../ui/status-badge.tsx';

/** Why an attempt ended, in words (the recorder's `cause`). */
export const CAUSE_LABELS: Record<NonNullable<TaskAttempt['cause']>, string> = {
  'step-failed': 'step failed',
  'agent-lost': 'agent lost',
  evicted: 'evicted',
  'out-of-disk': 'out of disk',
  timeout: 'timed out',
  'queue-wait': 'waited too long',
  error: 'error',
};

/**
 * Every attempt of the platforms that needed more than one: which agent ran it, how it ended and
 * why ("agent lost", "out of disk"), so a retried build explains itself.
 */
export function AttemptHistory({ build, now }: { build: Build; now: number }) {
  const retried = build.tasks.filter((t) => (t.history?.length ?? 0) > 1);
  if (retried.length === 0) return null;
  return (
    <section className="card attempt-history" aria-labelledby="attempts-title">
      <h2 id="attempts-title">Attempts</h2>
      {retried.map((t) => (
        <table key={t.id} className="attempts-table">
          <caption>
            {t.platform}: {t.history!.length} attempts
          </caption>
          <thead>
            <tr>
              <th scope="col">Attempt</th>
              <th scope="col">Agent</th>
              <th scope="col">Outcome</th>
              <th scope="col">Reason</th>
              <th scope="col">Started</th>
              <th scope="col" className="num">
                Duration
              </th>
            </tr>
          </thead>
          <tbody>
            {t.history!.map((a) => (
              <tr key={a.attempt} className={`attempt-${a.outcome}`}>
                <td data-label="Attempt">{a.attempt}</td>
                <td data-label="Agent">{a.agent ?? <span className="muted">–</span>}</td>
                <td data-label="Outcome">
                  <StatusBadge status={a.outcome} />
                </td>
                <td data-label="Reason">
                  {a.cause && <strong className="attempt-cause">{CAUSE_LABELS[a.cause] ?? a.cause}</strong>}
                  {a.cause && a.reason ? ': ' : ''}
                  {a.reason ?? (a.cause ? '' : <span className="muted">–</span>)}
                </td>
                <td data-label="Started">{formatTime(a.startedAt)}</td>
                <td data-label="Duration" className="num">
                  {formatDuration(elapsed(a.startedAt, a.endedAt, now))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ))}
    </section>
  );
}
