/** What a push, a tag or a pull request asks to build, with the commit already known. */
export type BuildTrigger =
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

/** `branch:<name>`, `tag:<name>` or `pr:<number>`: what a newer build of the same one supersedes. */
export function triggerRef(t: BuildTrigger): string {
  return t.kind === 'branch' ? `branch:${t.branch}` : t.kind === 'tag' ? `tag:${t.tag}` : `pr:${t.number}`;
}

/** The ref agents fetch when fetching by commit id is refused (pull requests live under refs/pull). */
export function sourceRef(t: BuildTrigger): string {
  return t.kind === 'branch' ? t.branch : t.kind === 'tag' ? t.tag : `refs/pull/${t.number}/head`;
}
