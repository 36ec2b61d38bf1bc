// @vitest-environment jsdom
import type { QueueDepth } from '@archway/contract';
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { build, task } from '../test-support/builds.ts';
import { NoAgentBanner, platformsWithoutAgent } from './waiting-for-agent.tsx';

afterEach(cleanup);

const queue = (platform: string, agents: number): QueueDepth => ({
  queue: `build-${platform.replace('/', '-')}`,
  platform,
  waiting: 1,
  active: 0,
  delayed: 0,
  oldestWaitingMs: 1000,
  agents,
});

describe('platformsWithoutAgent', () => {
  it('names open platforms whose queue has no live agent, or no queue entry at all', () => {
    // arm64 was taken by an agent that then died: running, but nobody left to run it.
    const b = build([
      task('linux/amd64', [], { status: 'queued' }),
      task('linux/arm64', [], { status: 'running' }),
      task('linux/riscv64', [], { status: 'queued' }),
    ]);
    expect(platformsWithoutAgent(b, [queue('linux/amd64', 2), queue('linux/arm64', 0)])).toEqual(['linux/arm64', 'linux/riscv64']);
  });

  it('ignores platforms that are not waiting', () => {
    const b = build([task('linux/amd64', [], { status: 'failed' }), task('linux/arm64', [], { status: 'built' })]);
    expect(platformsWithoutAgent(b, [queue('linux/amd64', 0), queue('linux/arm64', 0)])).toEqual([]);
  });
});

describe('<NoAgentBanner>', () => {
  it('says which platforms wait and links to the agents page', () => {
    render(<NoAgentBanner platforms={['linux/arm64']} othersGoOn />);
    expect(screen.getByRole('status').textContent).toBe(
      'No agent for linux/arm64 is connected. Its task waits until one connects (Agents); the other platforms go on.',
    );
    expect(screen.getByRole('link', { name: 'Agents' }).getAttribute('href')).toBe('/agents');
  });

  it('does not speak of other platforms when there are none', () => {
    render(<NoAgentBanner platforms={['linux/riscv64', 'linux/s390x']} othersGoOn={false} />);
    expect(screen.getByRole('status').textContent).toBe(
      'No agent for linux/riscv64 or linux/s390x is connected. Their tasks wait until one connects (Agents).',
    );
  });

  it('renders nothing when every waiting platform has an agent', () => {
    const { container } = render(<NoAgentBanner platforms={[]} othersGoOn />);
    expect(container.textContent).toBe('');
  });
});
