import type { Repo } from '@archway/contract';
import { describe, expect, it } from 'vitest';
import { formFromRepo, parseBuildArgs, patchFromForm } from './settings-form.ts';

const repo: Repo = {
  id: '8263dad7-0000-4000-8000-000000000001',
  fullName: 'acme/webapp',
  provider: 'github',
  cloneUrl: 'https://github.com/acme/webapp.git',
  defaultBranch: 'main',
  apiUrl: null,
  image: 'registry.example.com/acme/webapp',
  pushTargets: ['harbor.internal/acme'],
  containerfile: null,
  context: '.',
  platforms: ['linux/amd64', 'linux/arm64'],
  buildArgs: { GO_VERSION: '1.22' },
  tagRules: { defaultBranchLatest: true, defaultBranchSha: true, branches: true, semver: true, semverLatest: 'highest', otherTags: true },
  cancelSuperseded: { branches: false, pullRequests: true },
  hasForgeToken: true,
  secrets: ['npm_token'],
  pullRequestSecrets: false,
  requireApproval: true,
  rebuildOnBaseChange: false,
  attestations: true,
  buildTimeout: null,
  layerCache: null,
  queueWaitLimit: null,
  webhookUrl: 'https://archway.example.com/hooks/github',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

describe('patchFromForm', () => {
  it('sends the push targets as a list when they changed', () => {
    expect(patchFromForm(repo, { ...formFromRepo(repo), pushTargets: 'harbor.internal/acme\nregistry.lan:5000/mirror ' })).toEqual({
      patch: { pushTargets: ['harbor.internal/acme', 'registry.lan:5000/mirror'] },
    });
    expect(patchFromForm(repo, { ...formFromRepo(repo), pushTargets: '' })).toEqual({ patch: { pushTargets: [] } });
  });

  it('sends the layer cache as true, false or null (the server default)', () => {
    expect(patchFromForm(repo, { ...formFromRepo(repo), layerCache: 'off' })).toEqual({ patch: { layerCache: false } });
    const on = { ...repo, layerCache: true };
    expect(formFromRepo(on).layerCache).toBe('on');
    expect(patchFromForm(on, { ...formFromRepo(on), layerCache: 'default' })).toEqual({ patch: { layerCache: null } });
  });

  it('sends nothing when nothing changed', () => {
    expect(patchFromForm(repo, formFromRepo(repo))).toEqual({ patch: {} });
  });

  it('sends only the changed fields; emptied optional fields become null', () => {
    const form = {
      ...formFromRepo(repo),
      image: '  ',
      containerfile: 'docker/Containerfile',
      platforms: 'linux/arm64 linux/amd64, linux/arm/v7',
      buildArgs: 'GO_VERSION=1.23\nFLAGS=-X a=b\n\n',
      tagRules: { ...repo.tagRules, semverLatest: 'never' as const, branches: false },
      cancelSuperseded: { branches: true, pullRequests: true },
      buildTimeout: ' 45M ',
      queueWaitLimit: '15M',
      pullRequestSecrets: true,
      rebuildOnBaseChange: true,
      attestations: false,
    };
    expect(patchFromForm(repo, form)).toEqual({
      patch: {
        image: null,
        containerfile: 'docker/Containerfile',
        platforms: ['linux/arm64', 'linux/amd64', 'linux/arm/v7'],
        buildArgs: { GO_VERSION: '1.23', FLAGS: '-X a=b' },
        tagRules: { branches: false, semverLatest: 'never' },
        cancelSuperseded: { branches: true },
        buildTimeout: '45m',
        queueWaitLimit: '15m',
        pullRequestSecrets: true,
        rebuildOnBaseChange: true,
        attestations: false,
      },
    });
  });

  it('removing every build arg sends an empty object; a line without = names the field', () => {
    expect(patchFromForm(repo, { ...formFromRepo(repo), buildArgs: '' })).toEqual({ patch: { buildArgs: {} } });
    expect(patchFromForm(repo, { ...formFromRepo(repo), buildArgs: 'A=1\nnonsense' })).toEqual({
      error: 'build args line 2: write NAME=value (got "nonsense")',
      field: 'buildArgs',
    });
    expect(parseBuildArgs('=x')).toEqual({ error: 'build args line 1: write NAME=value (got "=x")' });
  });

  it("an emptied time limit goes back to the agents' default (null)", () => {
    const limited = { ...repo, buildTimeout: '30m' };
    expect(patchFromForm(limited, { ...formFromRepo(limited), buildTimeout: '' })).toEqual({ patch: { buildTimeout: null } });
    expect(patchFromForm(limited, formFromRepo(limited))).toEqual({ patch: {} });
  });
});
