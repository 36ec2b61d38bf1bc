import { imageWithinPrefixes } from '@archway/contract';
import { ForbiddenError } from '../../infra/errors.ts';
import type { TokenIdentity } from './tokens.ts';

/**
 * A build token limited to image prefixes may only start builds that push inside them: the
 * merger's registry credentials reach further than such a token should. Builds that push nothing
 * are not limited. Refused with 403 before anything is created.
 */
export function checkImageAllowed(token: TokenIdentity | undefined, image: string | null | undefined, push: boolean, field = 'image'): void {
  const prefixes = token?.imagePrefixes ?? [];
  if (prefixes.length === 0 || !push || !image) return;
  if (!imageWithinPrefixes(image, prefixes)) {
    throw new ForbiddenError(`${field}: this token may push only to images under ${prefixes.join(', ')}; ${image} is outside them`);
  }
}
