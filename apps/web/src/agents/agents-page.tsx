import { getCapacity, listAgents, listQueues } from '../api/endpoints.ts';
import type { AgentView } from '@archway/contract';
import { Link } from '../router/router.tsx';
import { formatBytes, formatDuration, relativeTime } from '../ui/format.ts';
import { CapacityPanel } from './capacity-panel.tsx';
import { QueueTable } from './queue-table.tsx';
import { usePoll } from './use-poll.ts';

const REFRESH_MS = 5000;

export function AgentsPage() {
  const agents = usePoll(listAgents, REFRESH_MS);
  const queues = usePoll(listQueues, REFRESH_MS);
  const capacity = usePoll(getCapacity, REFRESH_MS);
  const byPlatform = new Map<string, AgentView[]>();
  for (const a of agents.data ?? []) byPlatform.set(a.platform, [...(byPlatform.get(a.platform) ?? []), a]);
  const now = Date.now();

  return (
    <main id="main" className="page">
      <h1>Agents and queues</h1>
      <section aria-labelledby="queues-title">
        <h2 id="queues-title">Queues</h2>
        {queues.error && (
          <p className="error" role="alert">
            Could not load queues: {queues.error}
          </p>
        )}
        {queues.data && <QueueTable queues={queues.data} />}
      </section>
      <section aria-labelledby="agents-title">
        <h2 id="agents-title">Agents</h2>
        {agents.error && (
          <p className="error" role="alert">
            Could not load agents: {agents.error}
          </p>
        )}
        {agents.data?.length === 0 && <p className="muted">No agent has connected yet. Start one on each build machine.</p>}
        {[...byPlatform.entries()]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([platform, list]) => (
            <div key={platform} className="agent-group">
              <h3>{platform}</h3>
              <table className="agents-table">
                <thead>
                  <tr>
                    <th scope="col">Host</th>
                    <th scope="col">State</th>
                    <th scope="col">Current task</th>
                    <th scope="col" className="num">
                      Free disk
                    </th>
                    <th scope="col" className="num">
                      Cache
                    </th>
                    <th scope="col">Version</th>
                    <th scope="col">Last heartbeat</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((a) => {
                    const beat = a.lastHeartbeat ?? a.at;
                    return (
                      <tr key={a.id}>
                        <td data-label="Host">
                          {a.hostname}
                          {a.id !== a.hostname && <div className="small muted">{a.id}</div>}
                        </td>
                        <td data-label="State">
                          <span className={`badge agent-${a.state}`}>{a.state}</span>
                        </td>
                        <td data-label="Current task">
                          {a.currentTasks.length ? (
                            a.currentTasks.map((t) => <code key={t}>{t.slice(0, 8)} </code>)
                          ) : a.state === 'lost' && a.lastTask ? (
                            <span className="small">
                              last: <code title={a.lastTask}>{a.lastTask.slice(0, 8)}</code>
                            </span>
                          ) : (
                            <span className="muted">–</span>
                          )}
                        </td>
                        <td data-label="Free disk" className="num">
                          {formatBytes(a.freeDiskBytes)}
                        </td>
                        <td data-label="Cache" className="num">
                          {formatBytes(a.cacheBytes)}
                        </td>
                        <td data-label="Version">{a.version}</td>
                        <td data-label="Last heartbeat">
                          {beat ? (
                            <time dateTime={beat} title={new Date(beat).toLocaleString()}>
                              {relativeTime(beat, now)}
                            </time>
                          ) : (
                            '–'
                          )}
                          {beat && a.state === 'lost' && <span className="muted small"> ({formatDuration(now - Date.parse(beat))} ago)</span>}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          ))}
      </section>
      <section aria-labelledby="capacity-title">
        <h2 id="capacity-title">Cluster capacity</h2>
        {capacity.error && (
          <p className="error" role="alert">
            Could not load capacity: {capacity.error}
          </p>
        )}
        {capacity.data && <CapacityPanel capacity={capacity.data} now={now} />}
      </section>
      <p className="muted small">
        <Link href="/builds">Back to builds</Link> · refreshes every {REFRESH_MS / 1000} s
      </p>
    </main>
  );
}
