import { describe, expect, it } from 'vitest';
import { build, phase, task } from '../test-support/builds.ts';
import { describeFailure } from './failure.ts';

const step = 'step 4/5: RUN make test';

describe('describeFailure', () => {
  it('is null for a build that did not fail', () => {
    expect(describeFailure(build([task('linux/amd64', [phase('clone', 'clone', 0, 1)])]))).toBeNull();
  });

  it('names platform, step and exit code once, without repeated prefixes', () => {
    const b = build(
      [
        task('linux/amd64', [], { status: 'failed', failedStep: step, exitCode: 2, error: `linux/amd64: step 4/5 "RUN make test" failed with exit code 2` }),
        task('linux/arm64', [], { status: 'built' }),
      ],
      { status: 'failed', error: 'linux/amd64: linux/amd64: step 4/5 "RUN make test" failed with exit code 2' },
    );
    expect(describeFailure(b)).toEqual({
      headline: 'The linux/amd64 image failed to build.',
      details: ['linux/amd64: step 4/5 "RUN make test" failed with exit code 2'],
    });
  });

  it('adds the step and exit code when the reason does not say them', () => {
    const b = build([task('linux/arm64', [], { status: 'failed', failedStep: step, exitCode: 137, error: 'out of memory' })], { status: 'failed' });
    expect(describeFailure(b)!.details).toEqual(['linux/arm64: out of memory (at step 4/5: RUN make test) (exit code 137)']);
  });

  it('explains infrastructure failures and publish failures in their own words', () => {
    const disk = build([task('linux/amd64', [], { status: 'failed', error: 'only 1.2 GiB free on /var/lib/archway (needs 5 GiB)' })], { status: 'failed' });
    expect(describeFailure(disk)!.details).toEqual(['linux/amd64: only 1.2 GiB free on /var/lib/archway (needs 5 GiB)']);
    const publish = build([task('linux/amd64', [])], { status: 'failed', error: 'registry.example.com answered 401: check the merger auth file' });
    expect(describeFailure(publish)!.headline).toBe('Publishing failed: registry.example.com answered 401: check the merger auth file');
  });

  it('says a canceled build was canceled', () => {
    expect(describeFailure(build([task('linux/amd64', [], { status: 'canceled' })], { status: 'canceled' }))!.headline).toBe('This build was canceled.');
  });
});
