/** What a push, a tag or a pull request asks to build, with the commit already known. */
export type RefTrigger =
  | { kind: 'branch'; branch: string; commit: string }
  | { kind: 'tag'; tag: string; commit: string }
  | {
      kind: 'pr';
      number: number;
      commit: string;
      /**
       * Why the forge says this pull request must wait for a person's approval before it builds
       * (it comes from a fork, or from a first-time contributor); absent: it may build.
       */
      untrusted?: string;
    };

/** The same, as the rest of the API calls it (a registered repository's trigger). */
export type RepoTrigger = RefTrigger;

/** `branch:<name>`, `tag:<name>` or `pr:<number>`: what a newer build of the same one supersedes. */
export function triggerRef(t: RefTrigger): string {
  return t.kind === 'branch' ? `branch:${t.branch}` : t.kind === 'tag' ? `tag:${t.tag}` : `pr:${t.number}`;
}

/**
 * The trigger a build's `triggerRef` and `commit` columns describe (undefined: not one of the
 * three); `untrusted`: the webhook's reason a pull request waits for approval, stored with the build.
 */
export function parseTriggerRef(ref: string, commit: string, untrusted?: string | null): RefTrigger | undefined {
  const i = ref.indexOf(':');
  const kind = ref.slice(0, i);
  const name = ref.slice(i + 1);
  if (i < 1 || name === '') return undefined;
  if (kind === 'branch') return { kind, branch: name, commit };
  if (kind === 'tag') return { kind, tag: name, commit };
  if (kind === 'pr' && /^\d+$/.test(name)) return { kind, number: Number(name), commit, ...(untrusted ? { untrusted } : {}) };
  return undefined;
}

/** The ref agents fetch when fetching by commit id is refused (pull requests live under refs/pull, GitLab's under refs/merge-requests). */
export function sourceRef(t: RefTrigger, provider: string): string {
  if (t.kind === 'branch') return t.branch;
  if (t.kind === 'tag') return t.tag;
  return provider === 'gitlab' ? `refs/merge-requests/${t.number}/head` : `refs/pull/${t.number}/head`;
}
