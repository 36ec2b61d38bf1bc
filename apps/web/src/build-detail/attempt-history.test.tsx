// @vitest-environment jsdom
import { cleanup, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { at, build, T0, task } from '../test-support/builds.ts';
import { AttemptHistory } from './attempt-history.tsx';
import { CommitStatus } from './commit-status.tsx';

afterEach(cleanup);

describe('<AttemptHistory>', () => {
  it('lists each attempt of a retried platform with agent, outcome and the reason in words', () => {
    const b = build([
      task('linux/amd64', [], {
        attempts: 2,
        history: [
          { attempt: 1, agent: 'x86-1', startedAt: at(0), endedAt: at(40), outcome: 'failed', cause: 'agent-lost', reason: 'no heartbeat from x86-1 for 30 s' },
          { attempt: 2, agent: 'x86-2', startedAt: at(45), endedAt: at(100), outcome: 'built', cause: null, reason: null },
        ],
      }),
      task('linux/arm64', [], {
        history: [{ attempt: 1, agent: 'pi-1', startedAt: at(0), endedAt: at(90), outcome: 'built', cause: null, reason: null }],
      }),
    ]);
    render(<AttemptHistory build={b} now={T0} />);
    const table = screen.getByRole('table', { name: 'linux/amd64: 2 attempts' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent))).toEqual([
      ['1', 'x86-1', '✕failed', 'agent lost: no heartbeat from x86-1 for 30 s', new Date(at(0)).toLocaleString(), '40s'],
      ['2', 'x86-2', '✓built', '–', new Date(at(45)).toLocaleString(), '55s'],
    ]);
    // A platform built at its first attempt has no history table.
    expect(screen.queryByRole('table', { name: /linux\/arm64/ })).toBeNull();
  });

  it('shows requeues (out of disk) and renders nothing when no platform was retried', () => {
    const requeued = build([
      task('linux/arm64', [], {
        history: [
          { attempt: 1, agent: 'pi-1', startedAt: at(0), endedAt: at(5), outcome: 'requeued', cause: 'out-of-disk', reason: 'only 1.2 GiB free' },
          { attempt: 2, agent: 'pi-2', startedAt: at(6), endedAt: null, outcome: 'running', cause: null, reason: null },
        ],
      }),
    ]);
    render(<AttemptHistory build={requeued} now={T0 + 16_000} />);
    expect(screen.getByText('out of disk')).toBeTruthy();
    expect(screen.getByText(/given back/)).toBeTruthy();
    expect(screen.getByText('10s')).toBeTruthy();
    cleanup();
    const { container } = render(<AttemptHistory build={build([task('linux/amd64', [])])} now={T0} />);
    expect(container.innerHTML).toBe('');
  });
});

describe('<CommitStatus>', () => {
  it('warns with the reason when the forge could not be told', () => {
    const reason = 'commit status "success" not reported: github answered 401: Bad credentials (check the repository\'s forge token and its permissions)';
    render(<CommitStatus build={build([], { statusState: 'pending', statusError: reason })} />);
    expect(screen.getByRole('status').textContent).toContain('The commit status was not reported to the forge.');
    expect(screen.getByText(reason)).toBeTruthy();
  });

  it('names the reported state, and is silent for builds without statuses', () => {
    render(<CommitStatus build={build([], { statusState: 'success', statusError: null })} />);
    expect(screen.getByText('success')).toBeTruthy();
    cleanup();
    const { container } = render(<CommitStatus build={build([])} />);
    expect(container.innerHTML).toBe('');
  });
});
