import { imageDestinations, imageWithinPrefixes } from '@archway/contract';
import { ForbiddenError } from '../../infra/errors.ts';
import type { TokenIdentity } from './tokens.ts';

/**
 * A build token limited to image prefixes may only start builds that push inside them: the
 * merger's registry credentials reach further than such a token should. Builds that push nothing
 * are not limited. Every push target counts as well. Refused with 403 before anything is created.
 */
export function checkImageAllowed(
  token: TokenIdentity | undefined,
  image: string | null | undefined,
  push: boolean,
  field = 'image',
  targets: readonly string[] = [],
): void {
  const prefixes = token?.imagePrefixes ?? [];
  if (prefixes.length === 0 || !push || !image) return;
  for (const ref of imageDestinations(image, targets)) {
    if (!imageWithinPrefixes(ref, prefixes)) {
      throw new ForbiddenError(`${field}: this token may push only to images under ${prefixes.join(', ')}; ${ref} is outside them`);
    }
  }
}
