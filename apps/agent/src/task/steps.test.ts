import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBuildError, platformWarningOf, StepParser, type Step, type StepEvent } from './steps.ts';

// Real buildah 1.28 output captured from builds of the Containerfiles described in each test.
const fixture = (name: string) =>
  readFileSync(new URL(`./fixtures/${name}.txt`, import.meta.url), 'utf8')
    .split('\n')
    .filter((l, i, a) => i < a.length - 1 || l !== '');

function parse(name: string): { events: StepEvent[]; parser: StepParser } {
  const parser = new StepParser();
  const events = fixture(`${name}.stdout`).flatMap((l) => parser.feed(l));
  return { events, parser };
}

const stepNames = (events: StepEvent[]) => events.filter((e) => e.type === 'step').map((e) => (e.type === 'step' ? e.step.name : ''));

describe('StepParser', () => {
  it('reads the steps of a cold single-stage build and ignores a STEP line printed by RUN', () => {
    const { events } = parse('single-cold');
    expect(stepNames(events)).toEqual([
      'step 1/6: FROM scratch',
      'step 2/6: COPY busybox /bin/busybox',
      'step 3/6: COPY busybox /bin/sh',
      'step 4/6: RUN echo hello > /hello.txt && echo "STEP 9/9: not a real step"',
      'step 5/6: ARG GREETING=hi',
      'step 6/6: RUN ["/bin/busybox", "sh", "-c", "echo $GREETING from exec form"]',
    ]);
    expect(events.some((e) => e.type === 'cached')).toBe(false);
    expect(events.at(-1)).toEqual({ type: 'commit' });
    const indexes = events.flatMap((e) => (e.type === 'step' ? [e.step.index] : []));
    expect(indexes).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('marks the steps buildah served from its layer cache', () => {
    const { events } = parse('single-cached');
    const steps = events.flatMap((e) => (e.type === 'step' ? [e.step] : []));
    expect(steps.map((s) => [s.n, s.cached])).toEqual([
      [1, true], // nothing to pull: FROM is a cache hit
      [2, true],
      [3, true],
      [4, true],
      [5, true],
      [6, true],
    ]);
    // The last step was cached: buildah prints no COMMIT line at all.
    expect(events.some((e) => e.type === 'commit')).toBe(false);
  });

  it('counts a FROM step as a cache hit unless buildah pulls the base image (stderr)', () => {
    const run = (lines: [string, 'out' | 'err'][]) => {
      const p = new StepParser();
      const steps: Step[] = [];
      for (const [l, stream] of lines) {
        if (stream === 'err') p.feedStderr(l);
        else for (const e of p.feed(l)) if (e.type === 'step') steps.push(e.step);
      }
      return steps.map((s) => s.cached);
    };
    // Captured from buildah 1.28 with a registry base image, cold then warm (--pull=true).
    expect(
      run([
        ['STEP 1/2: FROM 127.0.0.1:5999/base:1', 'out'],
        ['Trying to pull 127.0.0.1:5999/base:1...', 'err'],
        ['Getting image source signatures', 'err'],
        ['Copying blob sha256:1e2cab4d8453caef620cdb68c86dcd11ad952e3047e34ad77c447af69ca22e9d', 'err'],
        ['Writing manifest to image destination', 'err'],
        ['STEP 2/2: RUN ["/bin/sh","-c","echo hi > /x"]', 'out'],
        ['COMMIT', 'out'],
      ]),
    ).toEqual([false, false]);
    expect(
      run([
        ['STEP 1/2: FROM 127.0.0.1:5999/base:1', 'out'],
        ['STEP 2/2: RUN ["/bin/sh","-c","echo hi > /x"]', 'out'],
        ['--> Using cache f7f3a3245ed6b05195594e790498929fcfe5d7500f1ceaeff9e193025f56891d', 'out'],
        ['Copying blob sha256:1230059a0c83a6df32c15fa0d1106e361ae13335e50552d650c45a6b16db389b', 'err'],
      ]),
    ).toEqual([true, true]);
  });

  it('numbers multi-stage steps across stages and names them with the stage', () => {
    const { events } = parse('multi-stage');
    expect(stepNames(events)).toEqual([
      '[1/2] step 1/3: FROM scratch AS base',
      '[1/2] step 2/3: COPY busybox /bin/sh',
      '[1/2] step 3/3: RUN echo base > /base.txt',
      '[2/2] step 1/4: FROM scratch',
      '[2/2] step 2/4: COPY --from=base /base.txt /base.txt',
      '[2/2] step 3/4: COPY busybox /bin/sh',
      '[2/2] step 4/4: RUN cat /base.txt',
    ]);
    const last = events.filter((e) => e.type === 'step').at(-1);
    expect(last?.type === 'step' && last.step.index).toBe(7);
    expect(events.at(-1)).toEqual({ type: 'commit' });
  });

  it('leaves the failing step current and reads the exit status from stderr', () => {
    const { parser } = parse('failing-run');
    expect(parser.current?.name).toBe('step 3/3: RUN echo about to fail && exit 3');
    const errors = fixture('failing-run.stderr')
      .map((l) => parseBuildError(l))
      .filter(Boolean);
    expect(errors).toEqual([{ instruction: 'RUN echo about to fail && exit 3', message: 'exit status 3', exitCode: 3 }]);
  });

  it('parses a non-RUN step error without an exit code', () => {
    expect(
      parseBuildError('Error: building at STEP "COPY nope /x": checking on sources under "/ctx": copier: stat: "/nope": no such file or directory'),
    ).toEqual({
      instruction: 'COPY nope /x',
      message: 'checking on sources under "/ctx": copier: stat: "/nope": no such file or directory',
    });
  });

  it('truncates very long instructions in phase names', () => {
    const parser = new StepParser();
    const [e] = parser.feed(`STEP 1/1: RUN ${'x'.repeat(500)}`);
    expect(e?.type === 'step' && e.step.name.length).toBeLessThan(230);
  });
});

describe('parseBuildError', () => {
  it('splits at the known instruction when it contains a quote and colon', () => {
    const line = 'Error: building at STEP "RUN echo "a": b": exit status 4';
    expect(parseBuildError(line, 'RUN echo "a": b')).toEqual({ instruction: 'RUN echo "a": b', message: 'exit status 4', exitCode: 4 });
  });
  it('ignores other lines', () => {
    expect(parseBuildError('subprocess exited with status 3')).toBeUndefined();
  });
});

describe('platformWarningOf', () => {
  it('reads the warning buildah prints when a base image is for another platform', () => {
    // Captured from: buildah build --platform linux/arm64 with FROM an amd64-only image.
    const line = 'WARNING: image platform ({amd64 linux  [] }) does not match the expected platform ({arm64 linux  [] })';
    expect(platformWarningOf(line)).toEqual({ image: { os: 'linux', architecture: 'amd64' }, expected: { os: 'linux', architecture: 'arm64' } });
    expect(platformWarningOf('WARNING: image platform ({arm linux  [] v6}) does not match the expected platform ({arm linux  [] v7})')).toEqual({
      image: { os: 'linux', architecture: 'arm', variant: 'v6' },
      expected: { os: 'linux', architecture: 'arm', variant: 'v7' },
    });
    expect(platformWarningOf('WARNING: something else')).toBeUndefined();
  });
});
