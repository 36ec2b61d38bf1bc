/** Markers in the head commit's message that skip an automatic build (those GitHub, GitLab and Woodpecker know, and Archway's own). */
export const SKIP_MARKERS = ['[skip ci]', '[ci skip]', '[archway skip]'] as const;

/** `skip-checks: true` as a trailer: a line of the message's last paragraph (GitHub's convention). */
const SKIP_CHECKS_RE = /^skip-checks:\s*true\s*$/im;

/** Why a commit message asks not to be built, or undefined. */
export function skipMarkerOf(message: string): string | undefined {
  const lower = message.toLowerCase();
  const marker = SKIP_MARKERS.find((m) => lower.includes(m));
  if (marker) return `${marker} in the head commit message`;
  const paragraphs = message.trimEnd().split(/\n\s*\n/);
  const last = paragraphs[paragraphs.length - 1] ?? '';
  if (paragraphs.length > 1 && SKIP_CHECKS_RE.test(last)) return 'the head commit has the trailer "skip-checks: true"';
  return undefined;
}
