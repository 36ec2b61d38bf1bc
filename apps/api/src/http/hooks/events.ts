import type { RepoTrigger } from '../repos/index.ts';

/** What a verified delivery asks for, independent of the forge that sent it. */
export type HookEvent = { type: 'ping' } | { type: 'trigger'; trigger: RepoTrigger; before?: string } | { type: 'ignored'; reason: string };

const ZERO_SHA = /^0+$/;
const SHA_RE = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** `owner/name` of the repository a payload is about, if it names one (GitLab: the project's path). */
export function payloadRepoName(payload: unknown): string | undefined {
  return str(obj(obj(payload)?.repository)?.full_name) ?? str(obj(obj(payload)?.project)?.path_with_namespace);
}

/**
 * A push of a branch or tag (GitHub and Forgejo/Gitea share the shape). Deleted refs are ignored;
 * the built commit is the head commit (for an annotated tag GitHub's `after` is the tag object).
 */
export function parsePush(payload: unknown): HookEvent {
  const p = obj(payload) ?? {};
  const ref = str(p.ref);
  const after = str(p.after) ?? '';
  if (!ref) return { type: 'ignored', reason: 'push without a ref' };
  if (p.deleted === true || ZERO_SHA.test(after)) return { type: 'ignored', reason: `${ref} was deleted` };
  const commit = str(obj(p.head_commit)?.id) ?? after;
  if (!SHA_RE.test(commit)) return { type: 'ignored', reason: `push of ${ref} names no commit` };
  const before = str(p.before);
  const extra = before ? { before } : {};
  if (ref.startsWith('refs/heads/')) return { type: 'trigger', trigger: { kind: 'branch', branch: ref.slice('refs/heads/'.length), commit }, ...extra };
  if (ref.startsWith('refs/tags/')) return { type: 'trigger', trigger: { kind: 'tag', tag: ref.slice('refs/tags/'.length), commit }, ...extra };
  return { type: 'ignored', reason: `push of ${ref} (neither a branch nor a tag)` };
}

/** A pull request whose head changed: built (never pushed) for the given actions only. */
export function parsePullRequest(payload: unknown, buildActions: readonly string[]): HookEvent {
  const p = obj(payload) ?? {};
  const action = str(p.action) ?? '';
  const pr = obj(p.pull_request);
  const number = typeof p.number === 'number' ? p.number : typeof pr?.number === 'number' ? pr.number : undefined;
  if (!buildActions.includes(action)) return { type: 'ignored', reason: `pull_request action "${action}" does not build (only ${buildActions.join(', ')})` };
  const commit = str(obj(pr?.head)?.sha);
  if (number === undefined || !commit || !SHA_RE.test(commit)) return { type: 'ignored', reason: 'pull_request without a number or head commit' };
  const untrusted = untrustedPullRequest(pr ?? {});
  return { type: 'trigger', trigger: { kind: 'pr', number, commit, ...(untrusted ? { untrusted } : {}) } };
}

/** GitHub's author_association values of someone who has never had a commit in the repository. */
const FIRST_TIMER_ASSOCIATIONS = ['FIRST_TIME_CONTRIBUTOR', 'FIRST_TIMER', 'NONE'];

/**
 * Why a pull request's code must not run before a person approves it, as the payload tells: its
 * head is in another repository (a fork; GitHub and Forgejo send `head.repo` and `base.repo`, a
 * deleted fork has none), or GitHub says its author is a first-time contributor. Undefined: trusted.
 */
export function untrustedPullRequest(pr: Json): string | undefined {
  const base = str(obj(obj(pr.base)?.repo)?.full_name);
  const headName = str(obj(obj(pr.head)?.repo)?.full_name);
  if (!headName) return 'the pull request comes from a repository that no longer exists (a deleted fork)';
  // Not `head.repo.fork`: a registered repository may itself be a fork, and its own branches are trusted.
  if (!base || headName.toLowerCase() !== base.toLowerCase()) return `the pull request comes from the fork ${headName}`;
  const association = str(pr.author_association);
  if (association && FIRST_TIMER_ASSOCIATIONS.includes(association)) {
    const login = str(obj(pr.user)?.login) ?? 'its author';
    return `${login} is a first-time contributor (author_association ${association})`;
  }
  return undefined;
}

export function parseGithubEvent(event: string, payload: unknown): HookEvent {
  if (event === 'ping') return { type: 'ping' };
  if (event === 'push') return parsePush(payload);
  if (event === 'pull_request') return parsePullRequest(payload, ['opened', 'synchronize', 'reopened']);
  return { type: 'ignored', reason: `event "${event}" is not handled (only ping, push, pull_request)` };
}

export function parseForgejoEvent(event: string, payload: unknown): HookEvent {
  if (event === 'push') return parsePush(payload);
  if (event === 'pull_request') return parsePullRequest(payload, ['opened', 'synchronized', 'reopened']);
  return { type: 'ignored', reason: `event "${event}" is not handled (only push, pull_request)` };
}

/**
 * GitLab's push, tag push and merge request hooks (X-Gitlab-Event). The built commit is
 * `checkout_sha` (for a tag: the commit it points at); a deleted ref has `after` all zeros. A
 * merge request builds when opened or reopened, and on `update` only when its code changed
 * (`oldrev` is present then); its head is `object_attributes.last_commit.id`.
 */
export function parseGitlabEvent(event: string, payload: unknown): HookEvent {
  const p = obj(payload) ?? {};
  if (event === 'Push Hook' || event === 'Tag Push Hook') {
    const ref = str(p.ref);
    if (!ref) return { type: 'ignored', reason: 'push without a ref' };
    if (ZERO_SHA.test(str(p.after) ?? '') || p.checkout_sha === null) return { type: 'ignored', reason: `${ref} was deleted` };
    return parsePush({ ref, before: p.before, after: str(p.checkout_sha) ?? p.after });
  }
  if (event === 'Merge Request Hook') {
    const mr = obj(p.object_attributes) ?? {};
    const action = str(mr.action) ?? '';
    if (!['open', 'reopen', 'update'].includes(action))
      return { type: 'ignored', reason: `merge request action "${action}" does not build (only open, reopen, update with new commits)` };
    if (action === 'update' && !str(mr.oldrev)) return { type: 'ignored', reason: 'merge request update without new commits' };
    const number = typeof mr.iid === 'number' ? mr.iid : undefined;
    const commit = str(obj(mr.last_commit)?.id);
    if (number === undefined || !commit || !SHA_RE.test(commit)) return { type: 'ignored', reason: 'merge request without an iid or last commit' };
    return { type: 'trigger', trigger: { kind: 'pr', number, commit } };
  }
  return { type: 'ignored', reason: `event "${event}" is not handled (only Push Hook, Tag Push Hook, Merge Request Hook)` };
}
