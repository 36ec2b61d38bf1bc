import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BuildRequest } from './api.ts';
import {
  archFromMachine,
  describeImagePlatform,
  parsePlatform,
  Platform,
  platformOfImage,
  platformOrUndefined,
  platformParts,
  platformSlug,
} from './platform.ts';

describe('platform parsing', () => {
  it('normalises kernel names and aliases', () => {
    expect(archFromMachine('x86_64')).toEqual({ architecture: 'amd64' });
    expect(archFromMachine('aarch64')).toEqual({ architecture: 'arm64' });
    expect(archFromMachine('armv7l')).toEqual({ architecture: 'arm', variant: 'v7' });
    expect(archFromMachine('sparc')).toBeUndefined();
  });
  it('canonicalises platform strings', () => {
    expect(parsePlatform('linux/arm64/v8')).toBe('linux/arm64');
    expect(parsePlatform('linux/aarch64')).toBe('linux/arm64');
    expect(parsePlatform('linux/arm')).toBe('linux/arm/v7');
    expect(parsePlatform('LINUX/AMD64')).toBe('linux/amd64');
    expect(parsePlatform(' x86_64 ')).toBe('linux/amd64');
    expect(platformParts(parsePlatform('linux/arm/v6'))).toEqual({ os: 'linux', architecture: 'arm', variant: 'v6' });
    expect(platformParts(parsePlatform('linux/arm64/v8'))).toEqual({ os: 'linux', architecture: 'arm64' });
    expect(platformSlug(parsePlatform('linux/arm/v7'))).toBe('linux-arm-v7');
  });
  it('rejects unknown platforms with a message naming them', () => {
    expect(() => parsePlatform('linux/foo')).toThrow('unknown platform "linux/foo": architecture "foo" is not supported');
    expect(() => parsePlatform('windows/amd64')).toThrow('unsupported platform "windows/amd64": os must be linux');
    expect(() => parsePlatform('linux/amd64/v9')).toThrow('unknown platform "linux/amd64/v9": variant "v9" is not valid for amd64');
    expect(() => parsePlatform('linux//')).toThrow('invalid platform "linux//": expected os/arch[/variant], e.g. linux/arm64');
    expect(platformOrUndefined('linux/foo')).toBeUndefined();
    expect(platformOrUndefined('aarch64')).toBe('linux/arm64');
  });
});

describe('Platform schema', () => {
  it('yields the canonical string for any spelling, so equal platforms compare equal', () => {
    const Body = z.object({ platforms: z.array(Platform) });
    expect(Body.parse({ platforms: ['linux/arm64/v8', 'aarch64', 'linux/armhf', 'i686'] }).platforms).toEqual([
      'linux/arm64',
      'linux/arm64',
      'linux/arm/v7',
      'linux/386',
    ]);
  });
  it('reports the same message as parsePlatform, at the offending path', () => {
    const r = z.object({ platforms: z.array(Platform) }).safeParse({ platforms: ['linux/amd64', 'linux/foo'] });
    expect(r.success).toBe(false);
    expect(r.error?.issues).toEqual([
      expect.objectContaining({ path: ['platforms', 1], message: 'unknown platform "linux/foo": architecture "foo" is not supported' }),
    ]);
    expect(Platform.safeParse(42).success).toBe(false);
  });
  it("makes a build request's repeated spellings of one platform a repeat", () => {
    const r = BuildRequest.safeParse({ source: { url: 'https://example.test/r.git' }, push: false, platforms: ['linux/arm64', 'linux/arm64/v8'] });
    expect(r.error?.issues.map((i) => i.message)).toEqual(['platforms must not repeat']);
    expect(BuildRequest.parse({ source: { url: 'https://example.test/r.git' }, push: false }).platforms).toEqual(['linux/amd64', 'linux/arm64']);
  });
});

describe('image platforms (an edge: may name platforms Archway does not know)', () => {
  it('are canonical when known and described as written otherwise', () => {
    expect(platformOfImage({ os: 'linux', architecture: 'arm64', variant: 'v8' })).toBe('linux/arm64');
    expect(platformOfImage({ os: 'windows', architecture: 'amd64' })).toBeUndefined();
    expect(platformOfImage({ os: 'linux', architecture: '' })).toBeUndefined();
    expect(describeImagePlatform({ os: 'linux', architecture: 'arm' })).toBe('linux/arm/v7');
    expect(describeImagePlatform({ os: 'windows', architecture: 'amd64' })).toBe('windows/amd64');
    expect(describeImagePlatform({ os: '', architecture: '' })).toBe('an unknown platform');
  });
});
