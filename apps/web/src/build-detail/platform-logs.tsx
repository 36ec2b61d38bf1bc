import { isOpenTaskStatus, type Build, type Task } from '@archway/contract';
import { useRef, type KeyboardEvent } from 'react';
import { logUrl } from '../api/endpoints.ts';
import { LogViewer } from '../logs/log-viewer.tsx';
import { useTaskLog } from '../logs/use-task-log.ts';
import { StatusBadge } from '../ui/status-badge.tsx';

const slug = (p: string) => p.replace(/[^a-z0-9]+/gi, '-');

/** What a tab is selected by: the platform, or `<image>/<platform>` in a build of several images. */
export const taskKey = (t: Task) => (t.image ? `${t.image}/${t.platform}` : t.platform);
/** A tab's name: the platform, after its image in a build of several. */
const taskLabel = (t: Task) => (t.image ? `${t.image} · ${t.platform}` : t.platform);

/** One tab per platform (per image and platform in a build of several; WAI-ARIA tabs: arrow keys move between them), each with its live log. */
export function PlatformLogs({ build, selected, onSelect }: { build: Build; selected: string; onSelect(key: string): void }) {
  const tabs = useRef<(HTMLButtonElement | null)[]>([]);
  const task = build.tasks.find((t) => taskKey(t) === selected) ?? build.tasks[0];

  const onKeyDown = (e: KeyboardEvent, index: number) => {
    const n = build.tasks.length;
    const to = e.key === 'ArrowRight' ? (index + 1) % n : e.key === 'ArrowLeft' ? (index - 1 + n) % n : e.key === 'Home' ? 0 : e.key === 'End' ? n - 1 : -1;
    if (to < 0) return;
    e.preventDefault();
    onSelect(taskKey(build.tasks[to]!));
    tabs.current[to]?.focus();
  };

  if (!task) return null;
  return (
    <section className="platform-logs" aria-labelledby="logs-title">
      <h2 id="logs-title">Logs</h2>
      <div role="tablist" aria-label={build.images ? 'Images and platforms' : 'Platforms'} className="tabs">
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
              id={`tab-${slug(taskKey(t))}`}
              aria-selected={active}
              aria-controls={`panel-${slug(taskKey(t))}`}
              tabIndex={active ? 0 : -1}
              onClick={() => onSelect(taskKey(t))}
              onKeyDown={(e) => onKeyDown(e, i)}
            >
              <StatusBadge status={t.status} label={taskLabel(t)} />
            </button>
          );
        })}
      </div>
      <div role="tabpanel" id={`panel-${slug(taskKey(task))}`} aria-labelledby={`tab-${slug(taskKey(task))}`}>
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
        {taskLabel(task)} never started{task.error ? `: ${task.error}` : '.'}
      </p>
    );
  }
  return <TaskLogViewer build={build} task={task} />;
}

function TaskLogViewer({ build, task }: { build: Build; task: Task }) {
  const live = isOpenTaskStatus(task.status);
  const store = useTaskLog(build.id, task.platform, task.attempts, !live, task.image);
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
        downloadHref={logUrl(build.id, task.platform, { download: true, image: task.image })}
        label={`Log of ${taskLabel(task)}`}
        initialFollow={live}
      />
    </>
  );
}
