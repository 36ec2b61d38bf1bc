// @vitest-environment jsdom
import type { Capacity } from '@archway/contract';
import { cleanup, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { CapacityPanel } from './capacity-panel.tsx';

afterEach(cleanup);

const now = Date.parse('2026-12-03T14:10:00Z');
const res = { cpu: 4, memoryBytes: 8e9, ephemeralStorageBytes: 1e11 };
const capacity: Capacity = {
  cluster: { state: 'on', reason: null, namespace: 'archway', checkedAt: '2026-12-03T14:09:58Z' },
  nodes: [
    {
      arch: 'arm64',
      ready: 1,
      schedulable: 0,
      allocatable: { cpu: 0, memoryBytes: 0, ephemeralStorageBytes: 0 },
      nodes: [
        { name: 'pi-1', ready: true, cordoned: false, allocatable: res, blockingTaints: ['dedicated=db:NoSchedule'] },
        { name: 'pi-2', ready: false, cordoned: false, allocatable: res, blockingTaints: [] },
      ],
    },
  ],
  pools: [{ name: 'archway-agent-arm64', platform: 'linux/arm64', desired: 1, ready: 0, min: 0, max: 4, cooldown: '10m', problem: null }],
  agents: [{ platform: 'linux/arm64', connected: 0, busy: 0, idle: 0, waiting: 2 }],
  decisions: [
    {
      at: '2026-12-03T14:09:50Z',
      pool: 'archway-agent-arm64',
      platform: 'linux/arm64',
      action: 'up',
      from: 0,
      to: 1,
      reason: '2 job(s) waiting, no agent is idle',
    },
    {
      at: '2026-12-03T14:09:40Z',
      pool: 'archway-agent-arm64',
      platform: 'linux/arm64',
      action: 'error',
      from: 0,
      to: 0,
      reason: '403 Forbidden patch statefulsets/scale …',
    },
  ],
};

describe('<CapacityPanel>', () => {
  it('shows nodes per architecture with why nodes are kept off, pools, and decisions newest first', () => {
    render(<CapacityPanel capacity={capacity} now={now} />);
    const [nodes, pools] = screen.getAllByRole('table');
    const arm = within(nodes!).getAllByRole('row')[1]!;
    expect(arm.textContent).toContain('1/2');
    expect(arm.textContent).toContain('pi-1: dedicated=db:NoSchedule; pi-2: not ready');
    const pool = within(pools!).getAllByRole('row')[1]!;
    expect(pool.textContent).toContain('0 / 1');
    expect(pool.textContent).toContain('0–4, cooldown 10m');
    const items = screen.getAllByRole('listitem').map((li) => li.textContent);
    expect(items[0]).toMatch(/archway-agent-arm64 scaled up 0 → 1: 2 job\(s\) waiting, no agent is idle$/);
    expect(items[1]).toMatch(/archway-agent-arm64 refused: 403 Forbidden/);
  });

  it('says why there is no cluster', () => {
    render(<CapacityPanel capacity={{ ...capacity, cluster: { state: 'off', reason: 'KUBECONFIG is unset', namespace: null, checkedAt: null } }} now={now} />);
    expect(screen.getByTestId('cluster-off').textContent).toContain('No Kubernetes cluster: KUBECONFIG is unset.');
    expect(screen.queryAllByRole('table')).toEqual([]);
  });
});
