import { NOTIFICATION_EVENTS, type NotificationEvent, type NotificationFormat, type Repo } from '@archway/contract';
import { useCallback, useState, type FormEvent } from 'react';
import { createNotification, deleteNotification, listNotifications, updateNotification } from '../api/endpoints.ts';
import { CopyButton } from '../ui/copy-button.tsx';
import { NotificationDeliveries } from './notification-deliveries.tsx';
import { PauseRemove } from './pause-remove.tsx';
import { useList } from './use-list.ts';

/**
 * Outgoing webhooks (docs/schedules-and-notifications.md#notifications). The API shows URLs as
 * scheme and host only and the signing secret once, right after adding; it stays in this
 * component's state until the page is left.
 */
export function Notifications({ repo }: { repo: Repo }) {
  const { items, error, change } = useList(useCallback(() => listNotifications(repo.id), [repo.id]));
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<NotificationEvent[]>(['build.failed', 'image.published']);
  const [format, setFormat] = useState<NotificationFormat>('json');
  const [secret, setSecret] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const toggle = (e: NotificationEvent) => setEvents(events.includes(e) ? events.filter((x) => x !== e) : [...events, e]);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const ok = await change(async () => setSecret((await createNotification(repo.id, { url: url.trim(), events, format })).secret ?? null));
    if (ok) setUrl('');
  };

  return (
    <section className="card notifications" aria-labelledby="notifications-title">
      <h2 id="notifications-title">Notifications</h2>
      <p className="muted small">
        POSTs build results to your URL, signed with <code>X-Archway-Signature-256</code>; retried with backoff.
      </p>
      {secret && (
        <p className="one-time-secret" role="status">
          Signing secret (shown once): <code>{secret}</code> <CopyButton value={secret} label="Copy secret" />
        </p>
      )}
      {items?.length === 0 && <p className="muted">No notifications.</p>}
      <ul className="notification-list">
        {items?.map((n) => (
          <li key={n.id}>
            <code>{n.url}</code> · {n.format} · {n.events.join(', ')} {!n.enabled && <span className="badge">paused</span>}{' '}
            <button type="button" onClick={() => setOpen(open === n.id ? null : n.id)} aria-expanded={open === n.id}>
              Deliveries
            </button>{' '}
            <PauseRemove
              enabled={n.enabled}
              onToggle={() => void change(() => updateNotification(repo.id, n.id, { enabled: !n.enabled }))}
              onRemove={() => void change(() => deleteNotification(repo.id, n.id))}
            />
            {open === n.id && <NotificationDeliveries repoId={repo.id} notificationId={n.id} />}
          </li>
        ))}
      </ul>
      <form className="inline-form" onSubmit={(e) => void submit(e)} aria-label="Add a notification">
        <div className="field">
          <label htmlFor="nt-url">URL</label>
          <input
            id="nt-url"
            type="url"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            placeholder="https://hooks.slack.com/services/…"
            autoComplete="off"
          />
        </div>
        <div className="field">
          <label htmlFor="nt-format">Body</label>
          <select id="nt-format" value={format} onChange={(e) => setFormat(e.target.value as NotificationFormat)}>
            <option value="json">Archway JSON</option>
            <option value="slack">Slack-compatible</option>
            <option value="matrix">Matrix-compatible</option>
          </select>
        </div>
        <fieldset>
          <legend>Events</legend>
          {NOTIFICATION_EVENTS.map((e) => (
            <label key={e} className="checkbox">
              <input type="checkbox" checked={events.includes(e)} onChange={() => toggle(e)} /> {e}
            </label>
          ))}
        </fieldset>
        <button type="submit" disabled={!url.trim() || events.length === 0}>
          Add notification
        </button>
      </form>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
