import { describe, expect, it } from 'vitest';
import { parseArchwayYaml } from './parse.ts';
import { renderTagTemplates } from './schema.ts';

describe('parseArchwayYaml', () => {
  it('accepts every setting and normalises platforms and build args', () => {
    const r = parseArchwayYaml(
      [
        '# build settings for Archway',
        'containerfile: docker/Containerfile',
        'context: docker',
        'platforms: [linux/amd64, arm64]',
        'buildArgs:',
        '  DEBUG: 1',
        '  NAME: app',
        'tags: [latest, "{branch}", "sha-{sha}"]',
      ].join('\n'),
    );
    expect(r).toEqual({
      ok: true,
      config: {
        containerfile: 'docker/Containerfile',
        context: 'docker',
        platforms: ['linux/amd64', 'linux/arm64'],
        buildArgs: { DEBUG: '1', NAME: 'app' },
        tags: ['latest', '{branch}', 'sha-{sha}'],
      },
    });
  });

  it('an empty file changes nothing', () => {
    expect(parseArchwayYaml('')).toEqual({ ok: true, config: {} });
    expect(parseArchwayYaml('# nothing\n')).toEqual({ ok: true, config: {} });
  });

  it('points at the line of a bad list item', () => {
    const r = parseArchwayYaml('containerfile: Containerfile\nplatforms:\n  - linux/amd64\n  - linux/foo\n');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toBe('.archway.yaml line 4: platforms[1]: unknown platform "linux/foo": architecture "foo" is not supported');
  });

  it('points at an unknown key, a bad path and a bad tag', () => {
    expect(parseArchwayYaml('context: .\n\nplatform: linux/amd64\n')).toMatchObject({
      ok: false,
      reason: '.archway.yaml line 3: unknown setting "platform": use containerfile, context, target, platforms, buildArgs, tags, images, when',
    });
    expect(parseArchwayYaml('containerfile: ../etc/passwd\n')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^\.archway\.yaml line 1: containerfile: .*must not leave the repository/),
    });
    expect(parseArchwayYaml('tags:\n  - ok\n  - "{nope}"\n')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^\.archway\.yaml line 3: tags\[1\]: unknown placeholder "\{nope\}"/),
    });
    expect(parseArchwayYaml('buildArgs:\n  "1BAD": x\n')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^\.archway\.yaml line 2: buildArgs\.1BAD: /),
    });
  });

  it('validates when: with the line of the bad pattern and the keys it allows', () => {
    expect(parseArchwayYaml('when:\n  branches: [main]\n  paths-ignore:\n    - docs/**\n    - ""\n')).toMatchObject({
      ok: false,
      reason: '.archway.yaml line 5: when.paths-ignore[1]: a pattern must not be empty',
    });
    expect(parseArchwayYaml('when:\n  branch: main\n')).toMatchObject({
      ok: false,
      reason: '.archway.yaml line 2: when: unknown setting "branch": use branches, tags, paths, paths-ignore',
    });
  });

  it('validates images: line by line, with the keys an image allows', () => {
    const head = 'images:\n  - name: api\n    image: registry.example.com/acme/api\n';
    expect(parseArchwayYaml(`${head}  - name: worker\n    platform: arm64\n`)).toMatchObject({
      ok: false,
      reason: '.archway.yaml line 5: images[1]: unknown setting "platform": use name, image, containerfile, context, target, platforms, buildArgs, tags',
    });
    expect(parseArchwayYaml(`${head}  - name: api\n`)).toMatchObject({
      ok: false,
      reason: '.archway.yaml line 4: images[1].name: image name "api" is used twice',
    });
    expect(parseArchwayYaml(`${head}  - name: Worker\n`)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^\.archway\.yaml line 4: images\[1\]\.name: an image name is/),
    });
    expect(parseArchwayYaml(`${head}  - name: w\n    target: "--x"\n`)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^\.archway\.yaml line 5: images\[1\]\.target: /),
    });
    expect(parseArchwayYaml(head)).toMatchObject({ ok: false, reason: '.archway.yaml line 2: images: list at least two images (one image needs no list)' });
  });

  it('reports YAML syntax errors with their line, and a non-mapping document', () => {
    const r = parseArchwayYaml('platforms:\n  - linux/amd64\n bad: [\n');
    expect(!r.ok && r.reason).toMatch(/^\.archway\.yaml line \d+: /);
    expect(parseArchwayYaml('- a\n- b\n')).toMatchObject({ ok: false, reason: expect.stringContaining('must be a mapping') });
    expect(parseArchwayYaml('a: 1\na: 2\n')).toMatchObject({ ok: false, reason: expect.stringMatching(/line 2: .*unique/i) });
  });
});

describe('renderTagTemplates', () => {
  it('fills placeholders and drops templates without a value', () => {
    expect(renderTagTemplates(['latest', '{branch}', 'sha-{sha}', 'v-{tag}'], { branch: 'main', sha: 'abc1234' })).toEqual(['latest', 'main', 'sha-abc1234']);
  });
});
