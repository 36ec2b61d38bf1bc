import type { QueueView } from '../api/types.ts';
import { formatDuration } from '../ui/format.ts';

export function QueueTable({ queues }: { queues: QueueView[] }) {
  if (queues.length === 0) return <p className="muted">No platform queues yet.</p>;
  return (
    <table className="queues-table">
      <thead>
        <tr>
          <th scope="col">Platform</th>
          <th scope="col" className="num">Waiting</th>
          <th scope="col" className="num">Running</th>
          <th scope="col" className="num">Oldest wait</th>
        </tr>
      </thead>
      <tbody>
        {queues.map((q) => (
          <tr key={q.queue ?? q.platform}>
            <td data-label="Platform">{q.platform}</td>
            <td data-label="Waiting" className="num">{q.waiting}</td>
            <td data-label="Running" className="num">{q.active}</td>
            <td data-label="Oldest wait" className="num">{q.oldestWaitMs == null ? '–' : formatDuration(q.oldestWaitMs)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
