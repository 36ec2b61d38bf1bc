export { parseChallenge, type Challenge } from '@archway/runtime';

/** The token scope for pushing to a repository (and reading from the ones we mount from). */
export function repositoryScope(repository: string, actions: 'pull' | 'pull,push'): string {
  return `repository:${repository}:${actions}`;
}
