import { describe, expect, it } from 'vitest';
import { TagRules } from '@archway/contract';
import { needsChangedPaths, planBuild, type PlanInput } from './index.ts';

const SHA = 'a'.repeat(40);
const repo: PlanInput['repo'] = {
  cloneUrl: 'https://git.example.com/acme/app.git',
  provider: 'github',
  defaultBranch: 'main',
  image: 'registry.example.com/acme/app',
  containerfile: null,
  context: '.',
  platforms: ['linux/amd64', 'linux/arm64'],
  buildArgs: { A: '1' },
  tagRules: TagRules.parse({}),
  requireApproval: true,
  pushTargets: [],
};
const push = (over: Partial<PlanInput> = {}): PlanInput => ({
  repo,
  trigger: { kind: 'branch', branch: 'main', commit: SHA },
  automatic: true,
  commit: { message: 'change things' },
  ...over,
});

describe('planBuild', () => {
  it('without .archway.yaml builds the repository settings with its tag rules', () => {
    const plan = planBuild(push());
    expect(plan).toEqual({
      kind: 'build',
      request: expect.objectContaining({
        source: { url: repo.cloneUrl, ref: 'main', commit: SHA },
        context: '.',
        platforms: ['linux/amd64', 'linux/arm64'],
        image: repo.image,
        tags: ['latest', 'sha-aaaaaaa'],
        buildArgs: { A: '1' },
        push: true,
      }),
    });
  });

  it('.archway.yaml overrides settings, with target; an invalid one is the reason', () => {
    const plan = planBuild(push({ commit: { message: 'x', yaml: 'target: test\nplatforms: [arm64]\nbuildArgs: { B: 2 }\n' } }));
    expect(plan.kind === 'build' && plan.request).toMatchObject({ target: 'test', platforms: ['linux/arm64'], buildArgs: { A: '1', B: '2' } });
    expect(planBuild(push({ commit: { message: 'x', yaml: 'when:\n  branch: [main]\n' } }))).toEqual({
      kind: 'invalid',
      reason: expect.stringMatching(/^\.archway\.yaml line 2: when: unknown setting "branch"/),
    });
  });

  it('skip markers skip forge events with a status, never a person’s build', () => {
    const message = 'docs [skip ci]';
    expect(planBuild(push({ commit: { message } }))).toEqual({ kind: 'skip', reason: 'skipped: [skip ci] in the head commit message', status: true });
    expect(planBuild(push({ automatic: false, commit: { message } })).kind).toBe('build');
  });

  it('when: branch patterns skip quietly, path filters with a status; pull requests ignore both', () => {
    const yaml = 'when:\n  branches: [main]\n  paths-ignore: ["docs/**"]\n';
    const feature = { kind: 'branch' as const, branch: 'feature', commit: SHA };
    expect(planBuild(push({ trigger: feature, commit: { message: 'x', yaml } }))).toMatchObject({ kind: 'skip', status: false });
    expect(planBuild(push({ commit: { message: 'x', yaml, changed: ['docs/a.md'] } }))).toMatchObject({ kind: 'skip', status: true });
    expect(planBuild(push({ commit: { message: 'x', yaml, changed: ['docs/a.md', 'main.go'] } })).kind).toBe('build');
    expect(planBuild(push({ commit: { message: 'x', yaml } })).kind).toBe('build'); // changes unknown
    const pr = { kind: 'pr' as const, number: 4, commit: SHA };
    expect(planBuild(push({ trigger: pr, commit: { message: 'x', yaml, changed: ['docs/a.md'] } })).kind).toBe('build');
  });

  it('an untrusted pull request waits for approval unless the repository turned that off', () => {
    const pr = { kind: 'pr' as const, number: 4, commit: SHA, untrusted: 'the pull request comes from the fork bob/app' };
    expect(planBuild(push({ trigger: pr }))).toMatchObject({
      kind: 'build',
      approval: 'the pull request comes from the fork bob/app',
      request: { push: false },
    });
    expect(planBuild(push({ trigger: pr, repo: { ...repo, requireApproval: false } }))).not.toHaveProperty('approval');
  });
});

describe('planBuild with images:', () => {
  const yaml = [
    'platforms: [linux/amd64]',
    'buildArgs: { SHARED: yes }',
    'tags: ["{branch}", "sha-{sha}"]',
    'images:',
    '  - name: api',
    '    image: registry.example.com/acme/api',
    '    containerfile: api/Containerfile',
    '    target: runtime',
    '    platforms: [linux/amd64, linux/arm64]',
    '  - name: worker',
    '    image: registry.example.com/acme/worker',
    '    context: worker',
    '    buildArgs: { ROLE: worker }',
    '    tags: [edge]',
    '  - name: tools',
    '',
  ].join('\n');

  it('plans one image per entry: its own settings over the file’s over the repository’s, its own destination', () => {
    const plan = planBuild(push({ commit: { message: 'x', yaml } }));
    expect(plan.kind).toBe('build');
    const request = plan.kind === 'build' ? plan.request : undefined;
    expect(request).toMatchObject({ push: false, tags: [], platforms: ['linux/amd64', 'linux/arm64'] });
    expect(request?.images).toEqual([
      {
        name: 'api',
        containerfile: 'api/Containerfile',
        context: '.',
        target: 'runtime',
        platforms: ['linux/amd64', 'linux/arm64'],
        image: 'registry.example.com/acme/api',
        tags: ['main', 'sha-aaaaaaa'],
        buildArgs: { A: '1', SHARED: 'yes' },
        push: true,
      },
      {
        name: 'worker',
        context: 'worker',
        platforms: ['linux/amd64'],
        image: 'registry.example.com/acme/worker',
        tags: ['edge'],
        buildArgs: { A: '1', SHARED: 'yes', ROLE: 'worker' },
        push: true,
      },
      // No destination: built, not pushed.
      { name: 'tools', context: '.', platforms: ['linux/amd64'], tags: [], buildArgs: { A: '1', SHARED: 'yes' }, push: false },
    ]);
  });

  it('pull requests build every image and push none', () => {
    const plan = planBuild(push({ trigger: { kind: 'pr', number: 3, commit: SHA }, commit: { message: 'x', yaml } }));
    expect(plan.kind === 'build' && plan.request.images?.map((i) => [i.name, i.push, i.tags])).toEqual([
      ['api', false, []],
      ['worker', false, []],
      ['tools', false, []],
    ]);
  });

  it('more image × platform tasks than a build may have is the reason, not a crash', () => {
    const all = '[linux/amd64, linux/arm64, linux/arm/v7, linux/arm/v6, linux/386, linux/ppc64le, linux/s390x, linux/riscv64]';
    const many = ['images:', ...Array.from({ length: 9 }, (_, i) => `  - { name: i${i}, platforms: ${all} }`)].join('\n');
    expect(planBuild(push({ commit: { message: 'x', yaml: many } }))).toEqual({
      kind: 'invalid',
      reason: '.archway.yaml: images: 72 image × platform tasks: at most 64',
    });
  });
});

describe('needsChangedPaths', () => {
  it('asks for the second fetch only for a forge event whose file has path filters', () => {
    expect(needsChangedPaths(true, 'when:\n  paths: ["src/**"]\n')).toBe(true);
    expect(needsChangedPaths(true, 'when:\n  paths-ignore: ["docs/**"]\n')).toBe(true);
    expect(needsChangedPaths(true, 'when:\n  branches: [main]\n')).toBe(false);
    expect(needsChangedPaths(true, undefined)).toBe(false);
    expect(needsChangedPaths(true, 'when: [not, a, map')).toBe(false); // invalid: the plan fails it
    expect(needsChangedPaths(false, 'when:\n  paths: ["src/**"]\n')).toBe(false); // a person's build
  });
});
