import { describe, expect, it } from 'vitest';
import { checkSourceAddress, isLocalAddress, sourceHost } from './source-address.ts';

describe('isLocalAddress', () => {
  it('loopback, private, link-local, CGNAT, multicast and unspecified, in IPv4 and IPv6', () => {
    for (const a of [
      '127.0.0.1',
      '127.8.9.10',
      '10.0.0.1',
      '172.16.5.4',
      '172.31.255.255',
      '192.168.0.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
    ]) {
      expect(isLocalAddress(a), a).toBe(true);
    }
    for (const a of ['::1', '::', 'fe80::1', 'fd00::1', 'fc12:3456::1', 'ff02::1']) expect(isLocalAddress(a), a).toBe(true);
  });

  it('IPv4 inside IPv6: mapped (dotted or hex), compatible, NAT64 and 6to4', () => {
    for (const a of ['::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:a00:1', '::127.0.0.1', '64:ff9b::a9fe:a9fe', '2002:c0a8:101::1']) {
      expect(isLocalAddress(a), a).toBe(true);
    }
    expect(isLocalAddress('::ffff:8.8.8.8')).toBe(false);
  });

  it('public addresses pass', () => {
    for (const a of ['8.8.8.8', '140.82.112.3', '172.32.0.1', '2606:4700::1111', '2a00:1450:4001::200e']) expect(isLocalAddress(a), a).toBe(false);
  });
});

describe('sourceHost', () => {
  it('finds the host of every URL form git accepts', () => {
    expect(sourceHost('https://bot:pw@git.example.com:8443/a/b.git')).toBe('git.example.com');
    expect(sourceHost('ssh://git@[fe80::1]:22/r')).toBe('fe80::1');
    expect(sourceHost('git@192.168.1.1:team/repo.git')).toBe('192.168.1.1');
    // The URL parser normalises the integer and hex forms of an address.
    expect(sourceHost('http://2130706433/r')).toBe('127.0.0.1');
    expect(sourceHost('http://0x7f.1/r')).toBe('127.0.0.1');
    expect(sourceHost('file:///srv/git/r')).toBeUndefined();
  });
});

describe('checkSourceAddress', () => {
  it('refuses names resolving to loopback (real resolver: localhost) and allows everything when allowed', async () => {
    await expect(checkSourceAddress('http://localhost:3000/r.git', false)).rejects.toMatchObject({ statusCode: 422, field: 'source.url' });
    await expect(checkSourceAddress('file:///srv/r', true)).resolves.toBeUndefined();
    await expect(checkSourceAddress('http://localhost/r', true)).resolves.toBeUndefined();
  });

  it('refuses a name when any one of its addresses is private (stand-in resolver)', async () => {
    const resolver = async () => ['140.82.112.3', '10.0.0.7'];
    await expect(checkSourceAddress('https://mixed.example/r', false, 'cloneUrl', resolver)).rejects.toMatchObject({
      statusCode: 422,
      field: 'cloneUrl',
      message: expect.stringMatching(/^cloneUrl: mixed\.example is a loopback, private or link-local address/),
    });
    await expect(checkSourceAddress('https://public.example/r', false, 'source.url', async () => ['140.82.112.3'])).resolves.toBeUndefined();
    await expect(
      checkSourceAddress('https://nowhere.example/r', false, 'source.url', async () => {
        throw new Error('ENOTFOUND');
      }),
    ).rejects.toMatchObject({ message: 'source.url: the host name nowhere.example does not resolve' });
  });
});
