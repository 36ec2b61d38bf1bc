import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { resolveTurns } from '../../infra/turns.ts';
import { UnprocessableError } from '../../infra/errors.ts';

const SCP_LIKE = /^[A-Za-z0-9._~-]+@([A-Za-z0-9.-]+):(?!\/\/)/;

/** Addresses no clone should reach unless an admin allows local sources: this machine and its networks. */
const LOCAL = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  LOCAL.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated, still routed by some)
  ['ff00::', 8],
] as const)
  LOCAL.addSubnet(net, bits, 'ipv6');

/** The 16 bytes of an IPv6 address in any notation (`::`, embedded dotted quad). */
function ipv6Bytes(address: string): number[] {
  let text = address.toLowerCase().split('%')[0]!;
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
}

/** The IPv4 address an IPv6 one carries (IPv4-mapped, -compatible, NAT64, 6to4), if any. */
function embeddedIpv4(address: string): string | undefined {
  const b = ipv6Bytes(address);
  const zero = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  if (zero(0, 10) && ((b[10] === 0xff && b[11] === 0xff) || (b[10] === 0 && b[11] === 0 && !zero(12, 16)))) return b.slice(12, 16).join('.');
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zero(4, 12)) return b.slice(12, 16).join('.');
  if (b[0] === 0x20 && b[1] === 0x02) return b.slice(2, 6).join('.');
  return undefined;
}

export function isLocalAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return LOCAL.check(address, 'ipv4');
  if (family !== 6) return true; // not an address at all: refuse rather than guess
  const v4 = embeddedIpv4(address);
  return (v4 !== undefined && LOCAL.check(v4, 'ipv4')) || LOCAL.check(address, 'ipv6');
}

/** The host a git URL connects to; undefined for file:// (no host: this machine's disk). */
export function sourceHost(url: string): string | undefined {
  const scp = SCP_LIKE.exec(url);
  if (scp) return scp[1]!;
  const u = new URL(url);
  if (u.protocol === 'file:') return undefined;
  return u.hostname.replace(/^\[|\]$/g, '');
}

export type Resolver = (host: string) => Promise<string[]>;
/** The system's DNS, waited for away from a resolver turn (infra/turns.ts): a slow name server holds no one else up. */
const systemResolver: Resolver = (host) => resolveTurns.away(async () => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address));

/**
 * Refuses (422, field `field`) a clone URL that points at this machine or a private network
 * unless an admin allowed local sources: file://, and any host name whose addresses (every one
 * of them, IPv4 and IPv6, IPv4-mapped included) fall in a loopback, private, link-local or
 * otherwise non-public range. Decided from DNS alone, before any connection, so the answer is the
 * same whether something listens on that port or not. (git resolves the name again when it
 * connects; a name that changes its answer in between is not covered.)
 */
export async function checkSourceAddress(url: string, allowLocal: boolean, field = 'source.url', resolve: Resolver = systemResolver): Promise<void> {
  if (allowLocal) return;
  const host = offlineHost(url, field);
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = await resolve(host);
    } catch {
      throw new UnprocessableError(`${field}: the host name ${host} does not resolve`, field);
    }
  }
  if (addresses.length === 0 || addresses.some(isLocalAddress)) throw refusedHost(host, field);
}

const HINT = 'an admin can allow local sources with ARCHWAY_ALLOW_LOCAL_SOURCES=true on the API';
const refusedHost = (host: string, field: string) =>
  new UnprocessableError(`${field}: ${host} is a loopback, private or link-local address (or resolves to one): ${HINT}`, field);

/** The URL's host after the checks that need no DNS: file:// and a local literal address are refused. */
function offlineHost(url: string, field: string): string {
  const host = sourceHost(url);
  if (host === undefined) throw new UnprocessableError(`${field}: file:// repositories are not allowed: ${HINT}`, field);
  if (isIP(host) && isLocalAddress(host)) throw refusedHost(host, field);
  return host;
}

/**
 * The part of checkSourceAddress a request can decide without the network (file://, a literal
 * address): answered at once with 422. Host names are looked up by the resolver, which fails the
 * build with the same reason.
 */
export function checkSourceAddressOffline(url: string, allowLocal: boolean, field = 'source.url'): void {
  if (!allowLocal) offlineHost(url, field);
}
