import type { Build, Task } from '@archway/shared';

/**
 * The reason a build failed, in a sentence a person can act on: which platform, which step,
 * the exit code, and the recorded reason. Null while nothing failed.
 */
export function describeFailure(build: Build): { headline: string; details: string[] } | null {
  const failedTasks = build.tasks.filter((t) => t.status === 'failed');
  if (build.status === 'canceled') {
    return { headline: 'This build was canceled.', details: failedTasks.map(taskSentence) };
  }
  if (build.status !== 'failed' && failedTasks.length === 0) return null;
  const details = failedTasks.map(taskSentence);
  if (failedTasks.length === 0) {
    return { headline: build.error ? `Publishing failed: ${build.error}` : 'The build failed.', details };
  }
  const platforms = failedTasks.map((t) => t.platform).join(' and ');
  const headline = failedTasks.length === 1 ? `The ${platforms} image failed to build.` : `The ${platforms} images failed to build.`;
  if (build.error && !failedTasks.some((t) => t.error === build.error)) details.push(build.error);
  return { headline, details };
}

function taskSentence(t: Task): string {
  const where = t.failedStep ? ` at ${t.failedStep}` : '';
  const code = t.exitCode !== null && t.exitCode !== undefined ? ` (exit code ${t.exitCode})` : '';
  const why = t.error ? `: ${t.error}` : '.';
  return `${t.platform} failed${where}${code}${why}`;
}
