import type { ScaleDecision } from '@archway/contract';
import { relativeTime } from '../ui/format.ts';

const VERB: Record<ScaleDecision['action'], string> = { up: 'scaled up', down: 'scaled down', error: 'refused', fail: 'failed waiting tasks' };

/** The autoscaler's recent decisions and Kubernetes API errors, newest first. */
export function DecisionList({ decisions, now }: { decisions: ScaleDecision[]; now: number }) {
  if (decisions.length === 0) return <p className="muted">No scaling decision yet.</p>;
  return (
    <ul className="decision-list">
      {decisions.map((d) => (
        <li key={`${d.at}-${d.pool}-${d.action}`} className={d.action === 'error' || d.action === 'fail' ? 'error' : undefined}>
          <time dateTime={d.at} title={new Date(d.at).toLocaleString()}>
            {relativeTime(d.at, now)}
          </time>{' '}
          <strong>{d.pool === '-' || d.pool === '*' ? d.platform : d.pool}</strong> {VERB[d.action]}
          {(d.action === 'up' || d.action === 'down') && (
            <>
              {' '}
              {d.from} → {d.to}
            </>
          )}
          : {d.reason}
        </li>
      ))}
    </ul>
  );
}
