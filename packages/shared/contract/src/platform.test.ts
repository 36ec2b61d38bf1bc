import { describe, expect, it } from 'vitest';
import { archFromMachine, normalizePlatform, parsePlatform, platformSlug } from './platform.ts';

describe('platform parsing', () => {
  it('normalises kernel names and aliases', () => {
    expect(archFromMachine('x86_64')).toEqual({ architecture: 'amd64' });
    expect(archFromMachine('aarch64')).toEqual({ architecture: 'arm64' });
    expect(archFromMachine('armv7l')).toEqual({ architecture: 'arm', variant: 'v7' });
    expect(archFromMachine('sparc')).toBeUndefined();
  });
  it('canonicalises platform strings', () => {
    expect(normalizePlatform('linux/arm64/v8')).toBe('linux/arm64');
    expect(normalizePlatform('linux/aarch64')).toBe('linux/arm64');
    expect(normalizePlatform('linux/arm')).toBe('linux/arm/v7');
    expect(normalizePlatform('LINUX/AMD64')).toBe('linux/amd64');
    expect(normalizePlatform('x86_64')).toBe('linux/amd64');
    expect(parsePlatform('linux/arm/v6')).toEqual({ os: 'linux', architecture: 'arm', variant: 'v6' });
    expect(platformSlug('linux/arm/v7')).toBe('linux-arm-v7');
  });
  it('rejects unknown platforms with a message naming them', () => {
    expect(() => parsePlatform('linux/foo')).toThrow(/linux\/foo/);
    expect(() => parsePlatform('windows/amd64')).toThrow(/os must be linux/);
    expect(() => parsePlatform('linux/amd64/v9')).toThrow(/variant/);
    expect(() => parsePlatform('linux//')).toThrow(/invalid platform/);
  });
});
