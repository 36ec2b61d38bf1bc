// @vitest-environment jsdom
import { cleanup, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { build, task } from '../test-support/builds.ts';
import { ImageGroups } from './image-groups.tsx';
import { PlatformLogs, taskKey } from './platform-logs.tsx';

afterEach(cleanup);

const image = (name: string, extra: object = {}) => ({
  name,
  image: `registry.example.com/acme/${name}`,
  containerfile: null,
  context: '.',
  target: null,
  platforms: ['linux/amd64'],
  tags: ['1.0'],
  push: true,
  indexDigest: null,
  ...extra,
});

describe('a build of several images', () => {
  const b = build(
    [
      task('linux/amd64', [], { status: 'built', image: 'api', id: 'a1' }),
      task('linux/arm64', [], { status: 'failed', image: 'api', id: 'a2' }),
      task('linux/amd64', [], { status: 'built', image: 'worker', id: 'w1' }),
    ],
    { images: [image('api', { platforms: ['linux/amd64', 'linux/arm64'] }), image('worker', { target: 'tools', indexDigest: `sha256:${'b'.repeat(64)}` })] },
  );

  it('shows one card per image with its destination, tags, digest and its own tasks', () => {
    render(<ImageGroups build={b} />);
    const api = screen.getByRole('article', { name: 'Image api' });
    expect(api.textContent).toContain('pushed to registry.example.com/acme/api as 1.0');
    expect(
      within(api)
        .getAllByText(/linux\//)
        .map((e) => e.textContent),
    ).toEqual(['✓linux/amd64 built', '✕linux/arm64 failed']);
    const worker = screen.getByRole('article', { name: 'Image worker' });
    expect(worker.textContent).toContain('up to stage tools');
    expect(worker.textContent).toContain(`registry.example.com/acme/worker@sha256:${'b'.repeat(64)}`);
  });

  it('names each log tab by image and platform, and selects by both', () => {
    expect(b.tasks.map(taskKey)).toEqual(['api/linux/amd64', 'api/linux/arm64', 'worker/linux/amd64']);
    render(<PlatformLogs build={b} selected="worker/linux/amd64" onSelect={() => {}} />);
    const tabs = screen.getAllByRole('tab');
    expect(tabs.map((t) => t.textContent)).toEqual(['✓api · linux/amd64 built', '✕api · linux/arm64 failed', '✓worker · linux/amd64 built']);
    expect(tabs.map((t) => t.getAttribute('aria-selected'))).toEqual(['false', 'false', 'true']);
  });
});
