// @vitest-environment jsdom
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { build, task } from '../test-support/builds.ts';
import { BuildActions } from './build-actions.tsx';
import { platformsWithoutAgent } from './waiting-for-agent.tsx';

afterEach(cleanup);

const reason = 'the pull request comes from the fork mallory/app';

describe('<BuildActions> and approval', () => {
  it('a build waiting for approval says why and offers Approve and Cancel', () => {
    const b = build([task('linux/amd64', [], { status: 'queued' })], {
      status: 'waiting-for-approval',
      approval: { reason, approvedBy: null, approvedAt: null },
    });
    render(<BuildActions build={b} onChanged={() => {}} />);
    expect(screen.getByText(/^Waiting for approval:/).textContent).toContain(reason);
    expect(screen.getAllByRole('button').map((x) => x.textContent)).toEqual(['Approve', 'Rebuild', 'Cancel']);
    // Its queued tasks are not waiting for an agent yet.
    expect(platformsWithoutAgent(b, [])).toEqual([]);
  });

  it('an approved build names who approved it and offers no Approve', () => {
    const b = build([task('linux/amd64', [], { status: 'running' })], {
      status: 'running',
      approval: { reason, approvedBy: 'maintainer', approvedAt: null },
    });
    render(<BuildActions build={b} onChanged={() => {}} />);
    expect(screen.getByText(/^Approved by maintainer/).textContent).toBe(`Approved by maintainer: ${reason}`);
    expect(screen.getAllByRole('button').map((x) => x.textContent)).toEqual(['Rebuild', 'Cancel']);
  });
});
