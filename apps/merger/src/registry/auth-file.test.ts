import type {} from '../../../../test/global-setup.ts';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { loadAuthFile, locateAuthFile, parseAuthFile } from './auth-file.ts';
import { parseChallenge } from './challenge.ts';
import { hostListed } from './host.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('auth file', () => {
  it('reads auth, username/password and identitytoken entries under normalised registry names', () => {
    const creds = parseAuthFile(
      JSON.stringify({
        auths: {
          'https://index.docker.io/v1/': { auth: b64('hub:pa:ss') },
          'http://127.0.0.1:5000': { username: 'u', password: 'p' },
          'ghcr.io': { identitytoken: 'refresh' },
          'empty.example': {},
        },
      }),
      '/x/config.json',
    );
    expect(creds.get('docker.io')).toEqual({ username: 'hub', password: 'pa:ss' });
    expect(creds.get('127.0.0.1:5000')).toEqual({ username: 'u', password: 'p' });
    expect(creds.get('ghcr.io')).toEqual({ identityToken: 'refresh' });
    expect(creds.has('empty.example')).toBe(false);
  });

  it('does not quote a broken file in its error', () => {
    expect(() => parseAuthFile('{"auths": {"h": {"auth": "secret', '/x/config.json')).toThrow(/^auth file \/x\/config.json is not valid JSON$/);
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
    expect((await loadAuthFile(join(home, '.docker', 'config.json'))).get('h:1')).toEqual({ username: 'a', password: 'b' });
    expect((await loadAuthFile(null)).size).toBe(0);
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
