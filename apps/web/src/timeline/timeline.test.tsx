// @vitest-environment jsdom
import { cleanup, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { at, build, phase, T0, task } from '../test-support/builds.ts';
import { Timeline } from './timeline.tsx';

afterEach(cleanup);

const widthOf = (el: Element) => Number.parseFloat((el as HTMLElement).style.width);
const leftOf = (el: Element) => Number.parseFloat((el as HTMLElement).style.left);

describe('<Timeline>', () => {
  const b = build(
    [
      task('linux/amd64', [
        phase('clone', 'clone', 0, 3),
        phase('STEP 1/2: COPY app /app', 'step', 3, 4, { step: 1, cached: true }),
        phase('STEP 2/2: RUN pip install', 'step', 4, 16, { step: 2 }),
        phase('export', 'export', 16, 18),
        phase('upload', 'upload', 18, 20),
      ]),
    ],
    { phases: [phase('publish', 'publish', 20, 24)], finishedAt: at(24) },
  );

  it('draws one bar per phase, proportional to its duration, with the duration written out', () => {
    render(<Timeline build={b} now={T0} />);
    const rows = screen.getAllByRole('listitem');
    expect(rows.map((r) => r.querySelector('.timeline-name')!.textContent)).toEqual([
      'clone',
      'STEP 1/2: COPY app /app',
      'STEP 2/2: RUN pip install',
      'export',
      'upload',
      'publish',
    ]);
    const bars = screen.getAllByTestId('timeline-bar');
    const pip = bars[2]!;
    const clone = bars[0]!;
    expect(widthOf(pip)).toBeCloseTo((12 / 24) * 100, 4);
    expect(widthOf(pip) / widthOf(clone)).toBeCloseTo(12 / 3, 4);
    expect(leftOf(pip)).toBeCloseTo((4 / 24) * 100, 4);
    expect(within(rows[2]!).getByText(/12s/)).toBeTruthy();
    expect(leftOf(bars[5]!) + widthOf(bars[5]!)).toBeCloseTo(100, 4);
  });

  it('marks cached steps visibly and names the slowest phase in words', () => {
    render(<Timeline build={b} now={T0} />);
    const rows = screen.getAllByRole('listitem');
    expect(rows[1]!.className).toContain('cached');
    expect(within(rows[1]!).getByText(/cached/)).toBeTruthy();
    expect(rows.filter((r) => r.className.includes('cached'))).toHaveLength(1);
    expect(screen.getByText(/Slowest:/).textContent).toBe('Slowest: STEP 2/2: RUN pip install on linux/amd64, 12s of 24s.');
    expect(rows[2]!.className).toContain('slowest');
  });

  it('lets a running phase grow as time passes', () => {
    const running = build(
      [task('linux/arm64', [phase('clone', 'clone', 0, 2), phase('STEP 1/1: RUN make', 'step', 2, null, { step: 1 })], { status: 'running' })],
      {
        status: 'running',
      },
    );
    const { rerender } = render(<Timeline build={running} now={T0 + 4_000} />);
    const bar = () => screen.getAllByTestId('timeline-bar')[1]!;
    expect(widthOf(bar())).toBeCloseTo(50, 4);
    expect(screen.getAllByRole('listitem')[1]!.textContent).toMatch(/2s running/);
    rerender(<Timeline build={running} now={T0 + 12_000} />);
    expect(widthOf(bar())).toBeCloseTo((10 / 12) * 100, 4);
    expect(screen.getAllByRole('listitem')[1]!.textContent).toMatch(/10s running/);
  });
});
