// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { Router } from '../router/router.tsx';
import { at, build, task } from '../test-support/builds.ts';
import { TrendChart } from './trend-chart.tsx';

afterEach(cleanup);

const ok = (n: number, amd: number, arm: number) =>
  build(
    [
      task('linux/amd64', [], { id: `a${n}`, startedAt: at(n * 100), finishedAt: at(n * 100 + amd) }),
      task('linux/arm64', [], { id: `r${n}`, startedAt: at(n * 100), finishedAt: at(n * 100 + arm) }),
    ],
    { id: `00000000-0000-4000-8000-00000000000${n}`, createdAt: at(n * 100) },
  );

describe('<TrendChart>', () => {
  it('draws a line per platform, marks failed builds and failed platforms, and links points to builds', () => {
    const failed = build(
      [
        task('linux/amd64', [], { id: 'a9', startedAt: at(500), finishedAt: at(530) }),
        task('linux/arm64', [], { id: 'r9', status: 'failed', startedAt: at(500), finishedAt: at(512) }),
      ],
      { id: '00000000-0000-4000-8000-000000000009', createdAt: at(500), status: 'failed' },
    );
    render(
      <Router>
        <TrendChart builds={[ok(1, 60, 150), ok(2, 55, 140), failed]} />
      </Router>,
    );
    const chart = screen.getByRole('img', { name: 'Task duration per platform over the last 3 builds, 1 failed' });
    const series = [...chart.querySelectorAll('.trend-series')].map((g) => g.getAttribute('data-platform'));
    expect(series).toEqual(['linux/amd64', 'linux/arm64']);
    for (const g of chart.querySelectorAll('.trend-series'))
      expect(g.querySelector('path.trend-line')!.getAttribute('d')).toMatch(/^M[\d.]+,[\d.]+ L[\d.]+,[\d.]+ L/);
    expect(chart.querySelectorAll('.trend-failed-band')).toHaveLength(1);
    const cross = chart.querySelectorAll('.trend-point-failed');
    expect(cross).toHaveLength(1);
    expect(cross[0]!.closest('a')!.getAttribute('aria-label')).toBe('linux/arm64: 12s (failed) — build 00000000 (main)');
    expect(chart.querySelectorAll('circle.trend-point')).toHaveLength(5);
    // Legend says it in words: the last and median duration of each platform.
    expect(screen.getByText('linux/arm64: last 12s, median 2m20s over 3 builds')).toBeTruthy();
    expect(screen.getByText(/failed build \(1\)/)).toBeTruthy();
    // A point opens its build without a page load.
    fireEvent.click(chart.querySelector('a[href="/builds/00000000-0000-4000-8000-000000000001"]')!);
    expect(window.location.pathname).toBe('/builds/00000000-0000-4000-8000-000000000001');
  });

  it('says there is nothing to draw before the first build finished', () => {
    const running = build([task('linux/amd64', [], { status: 'running', startedAt: at(0) })], { status: 'running' });
    render(
      <Router>
        <TrendChart builds={[running]} />
      </Router>,
    );
    expect(screen.queryByRole('img')).toBeNull();
    expect(screen.getByText(/No finished builds yet/)).toBeTruthy();
  });
});
