import type { Build, Task } from '@archway/contract';

/**
 * The reason a build failed, in a sentence a person can act on: which platform, which step,
 * the exit code, and the recorded reason — each said once. Null while nothing failed.
 */
export function describeFailure(build: Build): { headline: string; details: string[] } | null {
  const failedTasks = build.tasks.filter((t) => t.status === 'failed');
  if (build.status === 'canceled') {
    return { headline: 'This build was canceled.', details: failedTasks.map(taskSentence) };
  }
  if (build.status !== 'failed' && failedTasks.length === 0) return null;
  const details = failedTasks.map(taskSentence);
  if (failedTasks.length === 0) {
    return { headline: build.error ? `Publishing failed: ${withoutPrefixes(build.error, build.platforms)}` : 'The build failed.', details };
  }
  const platforms = failedTasks.map((t) => t.platform).join(' and ');
  const headline = failedTasks.length === 1 ? `The ${platforms} image failed to build.` : `The ${platforms} images failed to build.`;
  // The build's own error usually repeats a task's; show it only when it says something new.
  const buildError = build.error ? withoutPrefixes(build.error, build.platforms) : null;
  const taskErrors = failedTasks.map((t) => withoutPrefixes(t.error ?? '', [t.platform])).filter(Boolean);
  if (buildError && !taskErrors.some((e) => e.includes(buildError) || buildError.includes(e))) details.push(buildError);
  return { headline, details };
}

function taskSentence(t: Task): string {
  const reason = t.error ? withoutPrefixes(t.error, [t.platform]) : null;
  let sentence = `${t.platform}: ${reason ?? 'failed'}`;
  const stepNo = t.failedStep ? /\d+\/\d+/.exec(t.failedStep)?.[0] : undefined;
  if (t.failedStep && !(reason && stepNo && reason.includes(stepNo))) sentence += ` (at ${t.failedStep})`;
  if (t.exitCode !== null && t.exitCode !== undefined && !/exit code/i.test(reason ?? '')) sentence += ` (exit code ${t.exitCode})`;
  return sentence;
}

/** "linux/amd64: linux/amd64: disk full" → "disk full": the platform is already named. */
function withoutPrefixes(text: string, platforms: string[]): string {
  let out = text.trim();
  for (let changed = true; changed; ) {
    changed = false;
    for (const p of platforms) {
      if (out.startsWith(`${p}: `)) {
        out = out.slice(p.length + 2).trimStart();
        changed = true;
      }
    }
  }
  return out;
}
