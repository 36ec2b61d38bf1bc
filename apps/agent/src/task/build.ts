import { readFile } from 'node:fs/promises';
import type { TaskReporter } from '../report/reporter.ts';
import { buildArgs, runBuildah, type BuildahSettings, type BuildSpec } from './buildah.ts';
import { finalFailure, retryableFailure, TaskCanceled } from './errors.ts';
import { CACHE_PUSH_FAILED_RE } from './remote-cache.ts';
import { describeImagePlatform } from '@archway/contract';
import { parseBuildError, platformWarningOf, shortInstruction, StepParser, stepPosition, type BuildError, type PlatformWarning, type Step } from './steps.ts';

export interface BuildPhaseOptions {
  settings: BuildahSettings;
  spec: BuildSpec;
  signal: AbortSignal;
  reporter: TaskReporter;
  log: (line: string) => Promise<void>;
  /** buildah's stdout and stderr go to this file (in the work dir) and are read from there. */
  outputFile: string;
  /** Told the name of each step as it starts (for timeout and out-of-disk reasons). */
  onStep?: (name: string) => void;
}

/** Base images that cannot exist are final; other pull errors (registry down) are worth a retry. */
const PULL_FINAL_RE = /manifest unknown|name unknown|not found|unauthorized|denied|invalid reference|no image found|choosing an image from manifest list/i;

/**
 * Runs `buildah build`, turning its `STEP n/m` lines into `step` phases (with `cached`), and every
 * line into the task log. Returns the built image id.
 */
export async function runBuild(o: BuildPhaseOptions): Promise<string> {
  const parser = new StepParser();
  let open: { phase: string; step: Step } | undefined;
  let error: BuildError | undefined;
  let lastErrorLine: string | undefined;
  let noSpace = false;
  let mismatch: string | undefined;

  const closeStep = async () => {
    if (!open) return;
    const { phase, step } = open;
    open = undefined;
    await o.reporter.phaseEnded(phase, step.cached);
  };

  const result = await runBuildah(o.settings, buildArgs(o.settings, o.spec), {
    signal: o.signal,
    outputFile: o.outputFile,
    // stdout and stderr arrive as one stream, in the order buildah wrote them: STEP lines only
    // count in sequence, and pull/error lines are recognised by their text.
    onLine: async (line) => {
      await o.log(line);
      if (/no space left on device/i.test(line)) noSpace = true;
      const warning = platformWarningOf(line);
      if (warning && !mismatch) mismatch = await platformMismatch(warning, parser.current, o);
      parser.feedStderr(line);
      error = parseBuildError(line, parser.current?.instruction) ?? error;
      if (/^Error: /.test(line)) lastErrorLine = line.slice('Error: '.length);
      for (const ev of parser.feed(line)) {
        // `cached` is only known after the STEP line; it is reported when the step ends.
        if (ev.type === 'step') {
          await closeStep();
          open = { phase: await o.reporter.phaseStarted(ev.step.name, 'step', ev.step.index), step: ev.step };
          o.onStep?.(ev.step.name);
        } else if (ev.type === 'commit') {
          await closeStep();
        }
      }
    },
  });
  if (result.aborted) throw new TaskCanceled();
  const failedStep = parser.current;
  await closeStep();

  const p = o.settings.platform;
  if (mismatch) throw finalFailure(mismatch);
  if (result.code === 0) {
    const id = (await readFile(o.spec.iidFile, 'utf8')).trim();
    if (!id) throw retryableFailure(`${p}: buildah did not write the image id`);
    return id;
  }
  if (result.signal) throw retryableFailure(`${p}: buildah was killed by ${result.signal}`);
  if (o.spec.cache?.write && lastErrorLine && CACHE_PUSH_FAILED_RE.test(lastErrorLine)) throw new CachePushFailed(lastErrorLine);
  if (noSpace)
    throw retryableFailure(`${p}: no space left on device on the agent while building${failedStep ? ` ${failedStep.name}` : ''}`, undefined, 'out-of-disk');
  if (!failedStep) throw finalFailure(`${p}: buildah build failed: ${lastErrorLine ?? `exit code ${result.code}`}`);

  const where = stepPosition(failedStep);
  const instr = shortInstruction(failedStep.instruction);
  const step = failedStep.name;
  if (error?.exitCode !== undefined) {
    throw finalFailure(`${p}: ${where} "${instr}" failed with exit code ${error.exitCode}`, { step, exitCode: error.exitCode });
  }
  const message = error?.message ?? lastErrorLine ?? `buildah exited with code ${result.code}`;
  if (/^FROM\b/i.test(failedStep.instruction) && !PULL_FINAL_RE.test(message)) {
    throw retryableFailure(`${p}: ${where} "${instr}" failed: ${message}`);
  }
  throw finalFailure(`${p}: ${where} "${instr}" failed: ${message}`, { step });
}

/**
 * A base image pulled for the wrong platform in the final stage is a platform mismatch (buildah
 * would stamp the task's platform on foreign binaries). Earlier stages may legitimately use other
 * platforms' images (e.g. to copy out static files): those only get a note in the log.
 */
async function platformMismatch(w: PlatformWarning, step: Step | undefined, o: BuildPhaseOptions): Promise<string | undefined> {
  const image = describeImagePlatform(w.image);
  if (image === describeImagePlatform(w.expected)) return undefined;
  const where = step ? `${stepPosition(step)} "${shortInstruction(step.instruction)}"` : 'a FROM step';
  if (step?.stage && step.stage.n !== step.stage.m) {
    await o.log(`archway: note: the base image in ${where} is for ${image}, not ${o.settings.platform}`);
    return undefined;
  }
  return `${o.settings.platform}: platform mismatch: the base image in ${where} is for ${image}, not ${o.settings.platform} (it has no ${o.settings.platform} variant)`;
}

/** The shared cache refused a push (or went away): the build itself is fine and is run again without writing the cache. */
export class CachePushFailed extends Error {
  readonly detail: string;
  constructor(line: string) {
    super('the remote cache refused a push');
    // `failed pushing cache to {{{"host" "repo"} "key"}}: why`: the why, short.
    this.detail = line.replace(/^.*?\}\}\}:\s*/, '').slice(-240);
    this.name = 'CachePushFailed';
  }
}
