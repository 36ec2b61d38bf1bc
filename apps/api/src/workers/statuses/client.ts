/**
 * Commit statuses through the forges' REST APIs. GitHub, Forgejo and Gitea share the call:
 * `POST {api}/repos/{owner}/{repo}/statuses/{sha}` with `{state, target_url, description, context}`;
 * GitHub takes `Authorization: Bearer <token>`, Forgejo/Gitea `Authorization: token <token>`.
 * GitLab: `POST {api}/projects/{url-encoded path}/statuses/{sha}` with `{state, target_url,
 * description, name}` and `PRIVATE-TOKEN: <token>` (or `Authorization: Bearer` for OAuth2 tokens).
 */
export type ForgeState = 'pending' | 'success' | 'failure' | 'error';
/** GitLab's commit status states (POST /projects/:id/statuses/:sha). */
export type GitlabState = 'pending' | 'running' | 'success' | 'failed' | 'canceled';

export interface CommitStatus {
  state: ForgeState | GitlabState;
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

/** One forge request's bound (a build's status jobs take turns sized from it, report.ts). */
export const STATUS_POST_TIMEOUT_MS = 15_000;

/** The forge's REST API base for a repository: the configured one, or the provider's default. */
export function forgeApiBase(repo: { provider: string; apiUrl: string | null; cloneUrl: string }): string {
  if (repo.apiUrl) return repo.apiUrl.replace(/\/+$/, '');
  if (repo.provider === 'github') return 'https://api.github.com';
  const version = repo.provider === 'gitlab' ? 'v4' : 'v1';
  let origin: string | undefined;
  try {
    const u = new URL(repo.cloneUrl);
    if (u.protocol === 'http:' || u.protocol === 'https:') origin = u.origin;
  } catch {
    /* scp-like or ssh URL */
  }
  if (!origin)
    throw new StatusPostError(
      `cannot tell the ${repo.provider} API address from the clone URL: set the repository's apiUrl (e.g. https://codeberg.org/api/v1, https://gitlab.example.com/api/v4)`,
      true,
    );
  return `${origin}/api/${version}`;
}

/** The call each forge takes: URL, headers and body. */
function statusRequest(target: StatusTarget, status: CommitStatus): { url: string; headers: Record<string, string>; body: Record<string, string> } {
  // GitHub cuts descriptions at 140 characters and rejects longer ones; the others accept that too.
  const description = status.description.slice(0, 140);
  if (target.provider === 'gitlab') {
    // The project by its URL-encoded path (subgroups included); `name` is GitLab's context.
    // A token given as `Bearer <token>` (OAuth2) goes in Authorization, any other as PRIVATE-TOKEN.
    const bearer = /^bearer\s+/i.test(target.token);
    return {
      url: `${target.apiBase}/projects/${encodeURIComponent(target.fullName)}/statuses/${target.sha}`,
      headers: bearer ? { authorization: `Bearer ${target.token.replace(/^bearer\s+/i, '')}` } : { 'private-token': target.token },
      body: { state: status.state, target_url: status.targetUrl, description, name: status.context },
    };
  }
  const [owner, name] = target.fullName.split('/');
  const github = target.provider === 'github';
  return {
    url: `${target.apiBase}/repos/${encodeURIComponent(owner!)}/${encodeURIComponent(name!)}/statuses/${target.sha}`,
    headers: {
      accept: github ? 'application/vnd.github+json' : 'application/json',
      authorization: github ? `Bearer ${target.token}` : `token ${target.token}`,
      ...(github ? { 'x-github-api-version': '2022-11-28' } : {}),
    },
    body: { state: status.state, target_url: status.targetUrl, description, context: status.context },
  };
}

export async function postCommitStatus(target: StatusTarget, status: CommitStatus): Promise<void> {
  const { url, headers, body } = statusRequest(target, status);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json', 'user-agent': 'archway', ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(STATUS_POST_TIMEOUT_MS),
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
    const message = (JSON.parse(text) as { message?: unknown }).message;
    if (message !== undefined) detail = typeof message === 'string' ? message : JSON.stringify(message);
  } catch {
    /* not JSON */
  }
  // GitLab refuses a state it already has ("Cannot transition status via :run from :running"):
  // a retry of a call whose answer was lost. The status is what was asked for.
  if (target.provider === 'gitlab' && res.status === 400 && /cannot transition status/i.test(detail)) return;
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
