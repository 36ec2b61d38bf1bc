import type { Repo, Schedule } from '@archway/contract';
import { useCallback, useState, type FormEvent } from 'react';
import { createSchedule, deleteSchedule, listSchedules, updateSchedule } from '../api/endpoints.ts';
import { Link } from '../router/router.tsx';
import { relativeTime } from '../ui/format.ts';
import { PauseRemove } from './pause-remove.tsx';
import { useList } from './use-list.ts';

const localZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

/** Cron schedules of the repository's branches (docs/schedules-and-notifications.md): list, add, edit, pause, remove. */
export function Schedules({ repo }: { repo: Repo }) {
  const { items, error, change } = useList(useCallback(() => listSchedules(repo.id), [repo.id]));
  const empty = { branch: repo.defaultBranch, cron: '0 3 * * *', timezone: localZone() };
  const [form, setForm] = useState(empty);
  const [editing, setEditing] = useState<string | null>(null);
  const now = Date.now();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const ok = await change(() => (editing ? updateSchedule(repo.id, editing, form) : createSchedule(repo.id, form)));
    if (ok) {
      setEditing(null);
      setForm(empty);
    }
  };
  const edit = (s: Schedule) => {
    setEditing(s.id);
    setForm({ branch: s.branch, cron: s.cron, timezone: s.timezone });
  };

  return (
    <section className="card schedules" aria-labelledby="schedules-title">
      <h2 id="schedules-title">Schedules</h2>
      <p className="muted small">Builds the branch's head on a cron schedule; skipped while the branch's previous build is still open.</p>
      {items?.length === 0 && <p className="muted">No schedules.</p>}
      {items && items.length > 0 && (
        <table className="schedules-table">
          <thead>
            <tr>
              <th scope="col">Branch</th>
              <th scope="col">When</th>
              <th scope="col">Next</th>
              <th scope="col">Last run</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((s) => (
              <tr key={s.id}>
                <td data-label="Branch">{s.branch}</td>
                <td data-label="When">
                  <code>{s.cron}</code> <span className="muted small">{s.timezone}</span>
                </td>
                <td data-label="Next">{s.enabled ? (s.nextRunAt ? new Date(s.nextRunAt).toLocaleString() : '–') : 'paused'}</td>
                <td data-label="Last run">
                  {s.lastRunAt ? (
                    <>
                      {relativeTime(s.lastRunAt, now)}: <span className={`badge schedule-${s.lastResult}`}>{s.lastResult}</span>{' '}
                      {s.lastBuildId && <Link href={`/builds/${s.lastBuildId}`}>build</Link>}
                      {s.lastResult !== 'queued' && s.lastMessage && <div className="small">{s.lastMessage}</div>}
                    </>
                  ) : (
                    <span className="muted">never</span>
                  )}
                </td>
                <td data-label="Actions">
                  <button type="button" onClick={() => edit(s)}>
                    Edit
                  </button>{' '}
                  <PauseRemove
                    enabled={s.enabled}
                    onToggle={() => void change(() => updateSchedule(repo.id, s.id, { enabled: !s.enabled }))}
                    onRemove={() => void change(() => deleteSchedule(repo.id, s.id))}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form className="inline-form" onSubmit={(e) => void submit(e)} aria-label={editing ? 'Edit the schedule' : 'Add a schedule'}>
        <div className="field">
          <label htmlFor="sc-branch">Branch</label>
          <input id="sc-branch" value={form.branch} onChange={(e) => setForm({ ...form, branch: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="sc-cron">Cron (minute hour day month weekday)</label>
          <input id="sc-cron" value={form.cron} onChange={(e) => setForm({ ...form, cron: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="sc-tz">Time zone</label>
          <input id="sc-tz" value={form.timezone} onChange={(e) => setForm({ ...form, timezone: e.target.value })} />
        </div>
        <button type="submit">{editing ? 'Save schedule' : 'Add schedule'}</button>
        {editing && (
          <button
            type="button"
            onClick={() => {
              setEditing(null);
              setForm(empty);
            }}
          >
            Cancel
          </button>
        )}
      </form>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
