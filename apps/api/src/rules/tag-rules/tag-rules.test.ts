import { describe, expect, it } from 'vitest';
import { TagRules } from '@archway/contract';
import { compareVersions, parseVersion } from './semver.ts';
import { deriveTags, sanitizeTag } from './tag-rules.ts';

const defaults = TagRules.parse({});
const sha = '6113728f27ae82c7b1a177c8d03f9e96e0adf246';

describe('deriveTags', () => {
  it('default branch → latest and sha-<7 hex>', () => {
    expect(deriveTags({ kind: 'branch', branch: 'main', commit: sha, isDefault: true }, defaults)).toEqual(['latest', 'sha-6113728']);
  });

  it('other branches → the sanitised branch name', () => {
    expect(deriveTags({ kind: 'branch', branch: 'feature/Login_Form', commit: sha, isDefault: false }, defaults)).toEqual(['feature-login_form']);
    expect(deriveTags({ kind: 'branch', branch: 'x', commit: sha, isDefault: false }, { ...defaults, branches: false })).toEqual([]);
  });

  it('v1.2.3 → 1.2.3, 1.2, 1 and latest when it is the highest release', () => {
    const repoTags = ['v1.0.0', 'v1.2.2', 'v1.3.0-rc.1', 'v1.2.3', 'nightly'];
    expect(deriveTags({ kind: 'tag', tag: 'v1.2.3', commit: sha, repoTags }, defaults)).toEqual(['1.2.3', '1.2', '1', 'latest']);
  });

  it('an older release does not move latest; "always" and "never" override', () => {
    const repoTags = ['v1.2.3', 'v2.0.0'];
    const t = { kind: 'tag' as const, tag: 'v1.2.3', commit: sha, repoTags };
    expect(deriveTags(t, defaults)).toEqual(['1.2.3', '1.2', '1']);
    expect(deriveTags(t, { ...defaults, semverLatest: 'always' })).toContain('latest');
    expect(deriveTags({ ...t, repoTags: ['v1.2.3'] }, { ...defaults, semverLatest: 'never' })).not.toContain('latest');
    // Tags unknown (the forge could not be asked): latest is not claimed.
    expect(deriveTags({ kind: 'tag', tag: 'v1.2.3', commit: sha }, defaults)).not.toContain('latest');
  });

  it('pre-releases never move 1, 1.2 or latest', () => {
    expect(deriveTags({ kind: 'tag', tag: 'v2.0.0-rc.1', commit: sha, repoTags: ['v2.0.0-rc.1'] }, defaults)).toEqual(['2.0.0-rc.1']);
  });

  it('tags that are not versions → their sanitised name, unless disabled', () => {
    expect(deriveTags({ kind: 'tag', tag: 'simple-tag', commit: sha, repoTags: [] }, defaults)).toEqual(['simple-tag']);
    expect(deriveTags({ kind: 'tag', tag: 'simple-tag', commit: sha, repoTags: [] }, { ...defaults, otherTags: false })).toEqual([]);
    expect(deriveTags({ kind: 'tag', tag: 'v1.2.3', commit: sha, repoTags: [] }, { ...defaults, semver: false })).toEqual(['v1.2.3']);
  });

  it('pull requests push nothing', () => {
    expect(deriveTags({ kind: 'pr', number: 7, commit: sha }, defaults)).toEqual([]);
  });
});

describe('sanitizeTag', () => {
  it('produces valid docker tags', () => {
    expect(sanitizeTag('--Feature//x..')).toBe('feature-x');
    expect(sanitizeTag('a'.repeat(300))).toHaveLength(128);
    expect(sanitizeTag('release/1.2')).toBe('release-1.2');
  });
});

describe('semver', () => {
  it('parses and orders like semver.org', () => {
    expect(parseVersion('1.2')).toBeUndefined();
    expect(parseVersion('v01.2.3')).toBeUndefined();
    expect(parseVersion('v1.2.3+build.5')?.build).toBe('build.5');
    const order = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.0.1', '1.10.0'];
    for (let i = 1; i < order.length; i++) expect(compareVersions(parseVersion(order[i - 1]!)!, parseVersion(order[i]!)!)).toBe(-1);
  });
});
