import type {} from '../../../../test/global-setup.ts';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { lookupCredentials, parseDockerConfig } from '@archway/runtime';
import { loadAuthFile, locateAuthFile } from './auth-file.ts';
import { parseChallenge } from './challenge.ts';
import { hostListed } from './host.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('auth file', () => {
  it('reads auth, username/password and identitytoken entries under normalised keys, path prefixes kept', () => {
    const config = parseDockerConfig(
      JSON.stringify({
        auths: {
          'https://index.docker.io/v1/': { auth: b64('hub:pa:ss') },
          'http://127.0.0.1:5000/v2/': { username: 'u', password: 'p' },
          'GHCR.io': { identitytoken: 'refresh' },
          'ghcr.io/acme/': { auth: b64('acme:x') },
          'empty.example': {},
        },
        credHelpers: { 'https://123.dkr.ecr.eu-west-1.amazonaws.com': 'ecr-login' },
        credsStore: 'pass',
      }),
      '/x/config.json',
    );
    expect(config.auths.get('docker.io')).toEqual({ username: 'hub', password: 'pa:ss' });
    expect(config.auths.get('127.0.0.1:5000')).toEqual({ username: 'u', password: 'p' });
    expect(config.auths.get('ghcr.io')).toEqual({ identityToken: 'refresh' });
    expect(config.auths.get('ghcr.io/acme')).toEqual({ username: 'acme', password: 'x' });
    expect(config.auths.has('empty.example')).toBe(false);
    expect(config.credHelpers.get('123.dkr.ecr.eu-west-1.amazonaws.com')).toBe('ecr-login');
    expect(config.credsStore).toBe('pass');
  });

  it('matches the most specific path prefix, then the host; credHelpers first', async () => {
    const config = parseDockerConfig(
      JSON.stringify({
        auths: { 'reg.lan:5000': { auth: b64('host:h') }, 'reg.lan:5000/team': { auth: b64('team:t') }, 'reg.lan:5000/team/app': { auth: b64('app:a') } },
        credHelpers: { 'helped.example': 'not-installed-here' },
      }),
      '/x/config.json',
    );
    const user = async (repo: string) => (await lookupCredentials(config, 'reg.lan:5000', repo)).credentials?.username;
    expect(await user('team/app')).toBe('app');
    expect(await user('team/app-two')).toBe('team'); // a prefix is a whole path component
    expect(await user('team/other/deep')).toBe('team');
    expect(await user('elsewhere/x')).toBe('host');
    expect(await lookupCredentials(config, 'other.example', 'x')).toEqual({ source: 'none' });
    await expect(lookupCredentials(config, 'helped.example', 'x')).rejects.toThrow(
      'credential helper docker-credential-not-installed-here for registry helped.example: docker-credential-not-installed-here is not installed (not on PATH)',
    );
  });

  it('refuses a helper name that is not a plain name, without quoting the file', () => {
    expect(() => parseDockerConfig('{"auths": {"h": {"auth": "secret', '/x/config.json')).toThrow(/^auth file \/x\/config.json is not valid JSON$/);
    expect(() => parseDockerConfig(JSON.stringify({ credsStore: '../../bin/sh' }), '/x/c.json')).toThrow(/credsStore must name a credential helper/);
  });

  it('is found through REGISTRY_AUTH_FILE, then DOCKER_CONFIG, then ~/.docker', async () => {
    const root = await mkdtemp(join(inject('tmpRoot'), 'authfile-'));
    const home = join(root, 'home');
    const dockerConfig = join(root, 'docker');
    await mkdir(join(home, '.docker'), { recursive: true });
    await mkdir(dockerConfig);
    expect(locateAuthFile({ HOME: home })).toBeNull();
    await writeFile(join(home, '.docker', 'config.json'), JSON.stringify({ auths: { 'h:1': { auth: b64('a:b') } } }));
    expect(locateAuthFile({ HOME: home, DOCKER_CONFIG: dockerConfig })).toBe(join(home, '.docker', 'config.json'));
    await writeFile(join(dockerConfig, 'config.json'), '{}');
    expect(locateAuthFile({ HOME: home, DOCKER_CONFIG: dockerConfig })).toBe(join(dockerConfig, 'config.json'));
    const explicit = join(root, 'auth.json');
    await writeFile(explicit, '{}');
    expect(locateAuthFile({ HOME: home, DOCKER_CONFIG: dockerConfig, REGISTRY_AUTH_FILE: explicit })).toBe(explicit);
    expect(() => locateAuthFile({ REGISTRY_AUTH_FILE: join(root, 'missing.json') })).toThrow(`REGISTRY_AUTH_FILE=${join(root, 'missing.json')} does not exist`);
    expect((await loadAuthFile(join(home, '.docker', 'config.json')))?.auths.get('h:1')).toEqual({ username: 'a', password: 'b' });
    expect(await loadAuthFile(null)).toBeNull();
  });
});

describe('challenges and insecure hosts', () => {
  it('parses Bearer and Basic challenges', () => {
    expect(parseChallenge('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' },
    });
    expect(parseChallenge('Basic realm="Registry Realm"')).toEqual({ scheme: 'basic', params: { realm: 'Registry Realm' } });
    expect(parseChallenge('Negotiate abc')).toBeNull();
    expect(parseChallenge(null)).toBeNull();
  });

  it('matches insecure registries by host and port', () => {
    expect(hostListed(['127.0.0.1:5000'], '127.0.0.1:5000')).toBe(true);
    expect(hostListed(['127.0.0.1:5000'], '127.0.0.1:5001')).toBe(false);
    expect(hostListed(['registry.lan'], 'registry.lan:5000')).toBe(true);
    expect(hostListed(['registry.lan'], 'registry.lan.evil.com')).toBe(false);
  });
});
