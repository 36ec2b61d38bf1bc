import type { Capacity } from '@archway/contract';
import { formatBytes, relativeTime } from '../ui/format.ts';
import { DecisionList } from './decision-list.tsx';

/** A right-aligned column header (numbers). */
function NumTh({ children }: { children: string }) {
  return (
    <th scope="col" className="num">
      {children}
    </th>
  );
}

/** The cluster beside the agents: nodes per architecture, agent pools, the autoscaler's decisions. */
export function CapacityPanel({ capacity, now }: { capacity: Capacity; now: number }) {
  const { cluster } = capacity;
  if (cluster.state === 'off') {
    return (
      <p className="muted" data-testid="cluster-off">
        No Kubernetes cluster: {cluster.reason}. Agents join by themselves (see docs/kubernetes.md to run pools that scale).
      </p>
    );
  }
  return (
    <>
      {cluster.state === 'error' && (
        <p className="error" role="alert">
          The cluster could not be read completely: {cluster.reason}
        </p>
      )}
      <p className="small muted">
        Namespace <code>{cluster.namespace}</code>
        {cluster.checkedAt && <> · read {relativeTime(cluster.checkedAt, now)}</>}
      </p>
      <h3>Nodes</h3>
      {capacity.nodes.length === 0 ? (
        <p className="muted">No nodes listed.</p>
      ) : (
        <table className="capacity-table">
          <thead>
            <tr>
              <th scope="col">Architecture</th>
              <NumTh>Ready</NumTh>
              <NumTh>Schedulable</NumTh>
              <NumTh>CPU</NumTh>
              <NumTh>Memory</NumTh>
              <NumTh>Ephemeral storage</NumTh>
              <th scope="col">Kept off</th>
            </tr>
          </thead>
          <tbody>
            {capacity.nodes.map((a) => {
              const off = a.nodes.filter((n) => !n.ready || n.cordoned || n.blockingTaints.length > 0);
              return (
                <tr key={a.arch}>
                  <td data-label="Architecture">{a.arch}</td>
                  <td data-label="Ready" className="num">
                    {a.ready}/{a.nodes.length}
                  </td>
                  <td data-label="Schedulable" className={`num${a.schedulable === 0 ? ' error' : ''}`}>
                    {a.schedulable}
                  </td>
                  <td data-label="CPU" className="num">
                    {Math.round(a.allocatable.cpu * 10) / 10}
                  </td>
                  <td data-label="Memory" className="num">
                    {formatBytes(a.allocatable.memoryBytes)}
                  </td>
                  <td data-label="Ephemeral storage" className="num">
                    {formatBytes(a.allocatable.ephemeralStorageBytes)}
                  </td>
                  <td data-label="Kept off" className="small">
                    {off.length === 0
                      ? '–'
                      : off.map((n) => `${n.name}: ${!n.ready ? 'not ready' : n.cordoned ? 'cordoned' : n.blockingTaints.join(', ')}`).join('; ')}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <h3>Agent pools</h3>
      {capacity.pools.length === 0 ? (
        <p className="muted">No agent pool (StatefulSet labelled archway.dev/platform) in this namespace.</p>
      ) : (
        <table className="capacity-table">
          <thead>
            <tr>
              <th scope="col">Pool</th>
              <th scope="col">Platform</th>
              <NumTh>Ready / desired</NumTh>
              <th scope="col">Bounds</th>
              <NumTh>Agents busy / idle</NumTh>
              <NumTh>Waiting</NumTh>
            </tr>
          </thead>
          <tbody>
            {capacity.pools.map((p) => {
              const a = capacity.agents.find((x) => x.platform === p.platform);
              return (
                <tr key={p.name}>
                  <td data-label="Pool">
                    {p.name}
                    {p.problem && <div className="small error">{p.problem}</div>}
                  </td>
                  <td data-label="Platform">{p.platform}</td>
                  <td data-label="Ready / desired" className="num">
                    {p.ready} / {p.desired}
                  </td>
                  <td data-label="Bounds">
                    {p.min}–{p.max}, cooldown {p.cooldown}
                  </td>
                  <td data-label="Agents busy / idle" className="num">
                    {a ? `${a.busy} / ${a.idle}` : '0 / 0'}
                  </td>
                  <td data-label="Waiting" className="num">
                    {a?.waiting ?? 0}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <h3>Scaling decisions</h3>
      <DecisionList decisions={capacity.decisions} now={now} />
    </>
  );
}
