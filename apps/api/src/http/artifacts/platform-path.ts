import { platformOrUndefined, type Platform } from '@archway/contract';

/** `linux-arm64`, `linux/arm64` (URL-encoded) or `arm64` all name the same platform. */
export function platformOfPath(input: string): Platform | undefined {
  return platformOrUndefined(input.replace(/^([a-z0-9]+)-([a-z0-9]+)(?:-(v\d+))?$/, (_, os, arch, v) => `${os}/${arch}${v ? `/${v}` : ''}`));
}
