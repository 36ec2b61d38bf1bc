import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Hex HMAC-SHA256 of the exact bytes received, as GitHub, Forgejo and Gitea compute it. */
export function hmacHex(secret: string, body: Buffer): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/** Constant-time comparison of a presented hex signature with the expected one. */
function sameHex(presented: string, expected: string): boolean {
  const a = Buffer.from(presented.trim().toLowerCase(), 'utf8');
  const b = Buffer.from(expected, 'utf8');
  // Lengths are public (always 64 for SHA-256); only equal-length buffers can be compared.
  return a.length === b.length && timingSafeEqual(a, b);
}

/** GitHub: `X-Hub-Signature-256: sha256=<hex>`. */
export function verifyGithubSignature(secret: string, body: Buffer, header: string | undefined): boolean {
  if (!header?.startsWith('sha256=')) return false;
  return sameHex(header.slice('sha256='.length), hmacHex(secret, body));
}

/** Forgejo and Gitea: `X-Forgejo-Signature` / `X-Gitea-Signature: <hex>` (bare hex). */
export function verifyForgejoSignature(secret: string, body: Buffer, header: string | undefined): boolean {
  if (!header) return false;
  return sameHex(header, hmacHex(secret, body));
}

/**
 * GitLab: `X-Gitlab-Token: <the secret token itself>` (no HMAC). Compared as sha256 digests, so the
 * comparison is constant-time whatever length was presented.
 */
export function verifyGitlabToken(secret: string, header: string | undefined): boolean {
  if (!header) return false;
  const digest = (v: string) => createHash('sha256').update(v, 'utf8').digest();
  return timingSafeEqual(digest(header), digest(secret));
}
