/**
 * Commit statuses through the forges' REST APIs. GitHub, Forgejo and Gitea share the call:
 * `POST {api}/repos/{owner}/{repo}/statuses/{sha}` with `{state, target_url, description, context}`;
 * GitHub takes `Authorization: Bearer <token>`, Forgejo/Gitea `Authorization: token <token>`.
 */
export type ForgeState = 'pending' | 'success' | 'failure' | 'error';

export interface CommitStatus {
  state: ForgeState;
  targetUrl: string;
  description: string;
  context: string;
}

export interface StatusTarget {
  provider: string;
  /** REST API base, e.g. https://api.github.com or https://codeberg.org/api/v1 */
  apiBase: string;
  fullName: string;
  sha: string;
  token: string;
}

/** A failed report; `permanent` ones (bad token, unknown repository) are not retried. */
export class StatusPostError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

const TIMEOUT_MS = 15_000;

/** The forge's REST API base for a repository: the configured one, or the provider's default. */
export function forgeApiBase(repo: { provider: string; apiUrl: string | null; cloneUrl: string }): string {
  if (repo.apiUrl) return repo.apiUrl.replace(/\/+$/, '');
  if (repo.provider === 'github') return 'https://api.github.com';
  let origin: string | undefined;
  try {
    const u = new URL(repo.cloneUrl);
    if (u.protocol === 'http:' || u.protocol === 'https:') origin = u.origin;
  } catch {
    /* scp-like or ssh URL */
  }
  if (!origin)
    throw new StatusPostError(
      `cannot tell the ${repo.provider} API address from the clone URL: set the repository's apiUrl (e.g. https://codeberg.org/api/v1)`,
      true,
    );
  return `${origin}/api/v1`;
}

export async function postCommitStatus(target: StatusTarget, status: CommitStatus): Promise<void> {
  const [owner, name] = target.fullName.split('/');
  const url = `${target.apiBase}/repos/${encodeURIComponent(owner!)}/${encodeURIComponent(name!)}/statuses/${target.sha}`;
  const github = target.provider === 'github';
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {
        accept: github ? 'application/vnd.github+json' : 'application/json',
        'content-type': 'application/json',
        authorization: github ? `Bearer ${target.token}` : `token ${target.token}`,
        'user-agent': 'archway',
        ...(github ? { 'x-github-api-version': '2022-11-28' } : {}),
      },
      // GitHub cuts descriptions at 140 characters and rejects longer ones.
      body: JSON.stringify({ state: status.state, target_url: status.targetUrl, description: status.description.slice(0, 140), context: status.context }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    const cause = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
    throw new StatusPostError(`POST ${url} failed: ${cause}`, false);
  }
  if (res.ok) {
    await res.body?.cancel();
    return;
  }
  const text = (await res.text().catch(() => '')).slice(0, 300);
  let detail = text;
  try {
    detail = (JSON.parse(text) as { message?: string }).message ?? text;
  } catch {
    /* not JSON */
  }
  // 408/429 and 5xx are worth another try; other 4xx will answer the same next time.
  const permanent = res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429;
  const hint =
    res.status === 401 || res.status === 403
      ? " (check the repository's forge token and its permissions)"
      : res.status === 404
        ? ' (check fullName, apiUrl and that the token can see the repository)'
        : '';
  throw new StatusPostError(`${target.provider} answered ${res.status}${detail ? `: ${detail}` : ''}${hint}`, permanent);
}
