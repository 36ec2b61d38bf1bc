import { describe, expect, it } from 'vitest';
import { pathFilter, refFilter, skipMarkerOf } from './index.ts';

describe('skip markers', () => {
  it.each([
    ['fix typo [skip ci]', '[skip ci] in the head commit message'],
    ['docs\n\nonly prose [CI SKIP]', '[ci skip] in the head commit message'],
    ['[archway skip] wip', '[archway skip] in the head commit message'],
    ['tidy\n\nSigned-off-by: A <a@b>\nskip-checks: true\n', 'the head commit has the trailer "skip-checks: true"'],
    ['tidy\n\n\nskip-checks:true', 'the head commit has the trailer "skip-checks: true"'],
  ])('%j skips: %s', (message, reason) => {
    expect(skipMarkerOf(message)).toBe(reason);
  });

  it.each([
    'skip ci without brackets',
    'skip-checks: true', // the subject line is not a trailer
    'body\n\nskip-checks: true\n\nmore text after it',
    'tidy\n\nskip-checks: false',
  ])('%j builds', (message) => {
    expect(skipMarkerOf(message)).toBeUndefined();
  });
});

describe('branch and tag patterns', () => {
  const when = { branches: ['main', 'release/*'], tags: ['v*'] };
  it('builds matching refs and names the list that stops the others', () => {
    expect(refFilter(when, { kind: 'branch', branch: 'release/1.2' })).toBeUndefined();
    expect(refFilter(when, { kind: 'tag', tag: 'v1.0.0' })).toBeUndefined();
    expect(refFilter(when, { kind: 'branch', branch: 'release/1.2/hotfix' })).toBe('branch release/1.2/hotfix matches none of when.branches (main, release/*)');
    expect(refFilter(when, { kind: 'tag', tag: 'nightly' })).toBe('tag nightly matches none of when.tags (v*)');
  });
  it('a list filters only its own kind', () => {
    expect(refFilter({ branches: ['main'] }, { kind: 'tag', tag: 'anything' })).toBeUndefined();
    expect(refFilter(undefined, { kind: 'branch', branch: 'x' })).toBeUndefined();
  });
});

describe('path filters', () => {
  it('paths-ignore: builds when one changed file is not ignored', () => {
    const when = { 'paths-ignore': ['docs/**', '**/*.md'] };
    expect(pathFilter(when, ['docs/a.md', 'src/readme.md'])).toMatch(
      /^no changed file matches the path filters \(paths-ignore: docs\/\*\*, \*\*\/\*\.md\): docs\/a\.md/,
    );
    expect(pathFilter(when, ['docs/a.md', 'src/main.go'])).toBeUndefined();
  });
  it('paths: builds when one changed file matches (and is not ignored)', () => {
    const when = { paths: ['api/**'], 'paths-ignore': ['api/**/*_test.go'] };
    expect(pathFilter(when, ['api/x_test.go'])).toBeDefined();
    expect(pathFilter(when, ['api/x.go'])).toBeUndefined();
    expect(pathFilter(when, ['web/x.ts'])).toBeDefined();
    expect(pathFilter({ paths: ['.github/**'] }, ['.github/workflows/ci.yml'])).toBeUndefined(); // dot files count
  });
  it('unknown changes (new branch, force push) always build; a push that changed nothing does not', () => {
    expect(pathFilter({ paths: ['api/**'] }, undefined)).toBeUndefined();
    expect(pathFilter({ paths: ['api/**'] }, [])).toBe('the push changed no files');
    expect(pathFilter(undefined, [])).toBeUndefined();
  });
});
