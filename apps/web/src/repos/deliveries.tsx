import type { WebhookDelivery } from '@archway/contract';
import { useCallback } from 'react';
import { listDeliveries } from '../api/endpoints.ts';
import { Link } from '../router/router.tsx';
import { relativeTime } from '../ui/format.ts';
import { useList } from './use-list.ts';

/** The latest webhook deliveries: did the forge reach us, and what came of it. */
export function Deliveries({ repoId }: { repoId: string }) {
  const { items, error, reload: load } = useList<WebhookDelivery>(useCallback(() => listDeliveries(repoId), [repoId]));
  const now = Date.now();

  return (
    <section aria-labelledby="deliveries-title">
      <div className="section-head">
        <h2 id="deliveries-title">Deliveries</h2>
        <button type="button" onClick={() => void load()}>
          Refresh
        </button>
      </div>
      {error && (
        <p className="error" role="alert">
          Could not load deliveries: {error}
        </p>
      )}
      {items?.length === 0 && <p className="muted">No webhook delivery yet. Add the webhook above; the forge's first ping shows here.</p>}
      {items && items.length > 0 && (
        <table className="deliveries-table">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Event</th>
              <th scope="col">Result</th>
              <th scope="col">Build</th>
            </tr>
          </thead>
          <tbody>
            {items.map((d) => (
              <tr key={d.id}>
                <td data-label="When">
                  <time dateTime={d.createdAt} title={new Date(d.createdAt).toLocaleString()}>
                    {relativeTime(d.createdAt, now)}
                  </time>
                </td>
                <td data-label="Event">
                  {d.event}
                  {d.action ? ` (${d.action})` : ''}
                  {d.attempts > 1 ? <span className="muted small"> · sent {d.attempts}×</span> : null}
                </td>
                <td data-label="Result">
                  <span className={`badge delivery-${d.result}`}>{d.result}</span>
                  {d.message && <div className="small">{d.message}</div>}
                </td>
                <td data-label="Build">
                  {d.buildId ? (
                    <Link href={`/builds/${d.buildId}`}>
                      <code>{d.buildId.slice(0, 8)}</code>
                    </Link>
                  ) : (
                    <span className="muted">–</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
