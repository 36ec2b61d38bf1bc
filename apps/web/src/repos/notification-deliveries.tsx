import { useCallback } from 'react';
import { listNotificationDeliveries } from '../api/endpoints.ts';
import { Link } from '../router/router.tsx';
import { relativeTime } from '../ui/format.ts';
import { useList } from './use-list.ts';

/** One notification's latest deliveries, like the incoming ones: when, what, how it went. */
export function NotificationDeliveries({ repoId, notificationId }: { repoId: string; notificationId: string }) {
  const { items, error, reload } = useList(useCallback(() => listNotificationDeliveries(repoId, notificationId), [repoId, notificationId]));
  const now = Date.now();
  return (
    <div className="notification-deliveries">
      <button type="button" onClick={() => void reload()}>
        Refresh deliveries
      </button>
      {error && (
        <p className="error" role="alert">
          Could not load deliveries: {error}
        </p>
      )}
      {items?.length === 0 && <p className="muted small">Nothing sent yet.</p>}
      {items && items.length > 0 && (
        <ul className="delivery-list">
          {items.map((d) => (
            <li key={d.id}>
              <time dateTime={d.createdAt}>{relativeTime(d.createdAt, now)}</time> {d.event}{' '}
              <span className={`badge notification-${d.status}`}>{d.status}</span>
              {d.attempts > 1 && <span className="muted small"> · {d.attempts} attempts</span>}
              {d.responseStatus !== null && <span className="muted small"> · HTTP {d.responseStatus}</span>}
              {d.error && <span className="small"> · {d.error}</span>} {d.buildId && <Link href={`/builds/${d.buildId}`}>build</Link>}{' '}
              <code className="small">{d.id.slice(0, 8)}</code>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
