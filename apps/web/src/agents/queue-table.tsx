import type { QueueDepth } from '@archway/contract';
import { formatDuration } from '../ui/format.ts';

export function QueueTable({ queues }: { queues: QueueDepth[] }) {
  if (queues.length === 0) return <p className="muted">No platform queues yet.</p>;
  return (
    <table className="queues-table">
      <thead>
        <tr>
          <th scope="col">Platform</th>
          <th scope="col" className="num">
            Waiting
          </th>
          <th scope="col" className="num">
            Running
          </th>
          <th scope="col" className="num">
            Retrying
          </th>
          <th scope="col" className="num">
            Oldest wait
          </th>
          <th scope="col" className="num">
            Agents
          </th>
        </tr>
      </thead>
      <tbody>
        {queues.map((q) => (
          <tr key={q.queue}>
            <td data-label="Platform">{q.platform}</td>
            <td data-label="Waiting" className="num">
              {q.waiting}
            </td>
            <td data-label="Running" className="num">
              {q.active}
            </td>
            <td data-label="Retrying" className="num">
              {q.delayed}
            </td>
            <td data-label="Oldest wait" className="num">
              {q.oldestWaitingMs == null ? '–' : formatDuration(q.oldestWaitingMs)}
            </td>
            <td data-label="Agents" className={`num${q.agents === 0 && q.waiting > 0 ? ' error' : ''}`}>
              {q.agents}
              {q.agents === 0 && q.waiting > 0 && <span className="small"> (no agent for this platform)</span>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
