/**
 * The webhook secret of a repository just registered, handed from the register form to the
 * repository page in memory only (never in the URL or storage): the page shows it once.
 */
const secrets = new Map<string, string>();

export function rememberSecret(repoId: string, secret: string): void {
  secrets.set(repoId, secret);
}

export function peekSecret(repoId: string): string | null {
  return secrets.get(repoId) ?? null;
}

export function forgetSecret(repoId: string): void {
  secrets.delete(repoId);
}
