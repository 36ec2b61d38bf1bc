import { isOpenTaskStatus, type Build, type Task } from '@archway/contract';
import { useRef, type KeyboardEvent } from 'react';
import { logUrl } from '../api/endpoints.ts';
import { LogViewer } from '../logs/log-viewer.tsx';
import { useTaskLog } from '../logs/use-task-log.ts';
import { StatusBadge } from '../ui/status-badge.tsx';

const slug = (p: string) => p.replace(/[^a-z0-9]+/gi, '-');

/** One tab per platform (WAI-ARIA tabs: arrow keys move between them), each with its live log. */
export function PlatformLogs({ build, selected, onSelect }: { build: Build; selected: string; onSelect(platform: string): void }) {
  const tabs = useRef<(HTMLButtonElement | null)[]>([]);
  const task = build.tasks.find((t) => t.platform === selected) ?? build.tasks[0];

  const onKeyDown = (e: KeyboardEvent, index: number) => {
    const n = build.tasks.length;
    const to = e.key === 'ArrowRight' ? (index + 1) % n : e.key === 'ArrowLeft' ? (index - 1 + n) % n : e.key === 'Home' ? 0 : e.key === 'End' ? n - 1 : -1;
    if (to < 0) return;
    e.preventDefault();
    onSelect(build.tasks[to]!.platform);
    tabs.current[to]?.focus();
  };

  if (!task) return null;
  return (
    <section className="platform-logs" aria-labelledby="logs-title">
      <h2 id="logs-title">Logs</h2>
      <div role="tablist" aria-label="Platforms" className="tabs">
        {build.tasks.map((t, i) => {
          const active = t.id === task.id;
          return (
            <button
              key={t.id}
              ref={(el) => {
                tabs.current[i] = el;
              }}
              role="tab"
              type="button"
              id={`tab-${slug(t.platform)}`}
              aria-selected={active}
              aria-controls={`panel-${slug(t.platform)}`}
              tabIndex={active ? 0 : -1}
              onClick={() => onSelect(t.platform)}
              onKeyDown={(e) => onKeyDown(e, i)}
            >
              <StatusBadge status={t.status} label={t.platform} />
            </button>
          );
        })}
      </div>
      <div role="tabpanel" id={`panel-${slug(task.platform)}`} aria-labelledby={`tab-${slug(task.platform)}`}>
        <TaskLog key={task.id} build={build} task={task} />
      </div>
    </section>
  );
}

function TaskLog({ build, task }: { build: Build; task: Task }) {
  const live = isOpenTaskStatus(task.status);
  if (!live && !task.startedAt) {
    return (
      <p className="muted log-never">
        {task.platform} never started{task.error ? `: ${task.error}` : '.'}
      </p>
    );
  }
  return <TaskLogViewer build={build} task={task} />;
}

function TaskLogViewer({ build, task }: { build: Build; task: Task }) {
  const live = isOpenTaskStatus(task.status);
  const store = useTaskLog(build.id, task.platform, task.attempts, !live);
  return (
    <>
      {task.agent && (
        <p className="muted small">
          Built by {task.agent}
          {task.attempts > 1 ? `, attempt ${task.attempts}` : ''}
        </p>
      )}
      <LogViewer
        store={store}
        failedStep={task.status === 'failed' ? task.failedStep : null}
        downloadHref={logUrl(build.id, task.platform, { download: true })}
        label={`Log of ${task.platform}`}
        initialFollow={live}
      />
    </>
  );
}
