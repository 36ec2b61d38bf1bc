/**
 * Parses `buildah build` output into Containerfile steps. buildah 1.28 prints, on stdout:
 *   `STEP 2/5: COPY busybox /bin/sh`              (single stage)
 *   `[2/2] STEP 3/4: RUN make`                      (multi-stage: stage 2 of 2)
 *   `--> Using cache <64 hex>`                      (the step was served from the layer cache)
 *   `COMMIT [name]` / `[2/2] COMMIT`               (the final commit; absent when the last step was cached)
 * and, on stderr, `Trying to pull …`, `Copying blob …` while a FROM step pulls its base image.
 * A FROM step counts as a cache hit when nothing was pulled (the base image was in storage).
 * and on failure, on stderr: `Error: building at STEP "RUN make": exit status 2`.
 * Captured real output is in ./fixtures.
 */
export interface Step {
  /** 1-based position among all steps of the build (across stages). */
  index: number;
  n: number;
  m: number;
  stage?: { n: number; m: number };
  instruction: string;
  /** Phase name, e.g. `step 2/5: COPY busybox /bin/sh` or `[2/2] step 3/4: RUN make`. */
  name: string;
  cached: boolean;
}

export type StepEvent = { type: 'step'; step: Step } | { type: 'cached'; step: Step } | { type: 'commit' };

const STEP_RE = /^(?:\[(\d+)\/(\d+)\] )?STEP (\d+)\/(\d+): (.*)$/;
const CACHE_RE = /^--> Using cache [0-9a-f]{64}$/;
const COMMIT_RE = /^(?:\[\d+\/\d+\] )?COMMIT(?: .*)?$/;
const FROM_RE = /^FROM\s/i;
/** What buildah prints while it pulls (or re-pulls a newer) base image. */
const PULL_RE = /^(?:Trying to pull |Getting image source signatures|Copying blob |Copying config |Writing manifest)/;
const MAX_INSTRUCTION = 200;

export function shortInstruction(instruction: string): string {
  return instruction.length > MAX_INSTRUCTION ? `${instruction.slice(0, MAX_INSTRUCTION)}…` : instruction;
}

/** `[2/2] step 3/4` or `step 3/4`. */
export function stepPosition(s: { n: number; m: number; stage?: { n: number; m: number } }): string {
  return `${s.stage ? `[${s.stage.n}/${s.stage.m}] ` : ''}step ${s.n}/${s.m}`;
}

export function stepName(s: { n: number; m: number; stage?: { n: number; m: number }; instruction: string }): string {
  return `${stepPosition(s)}: ${shortInstruction(s.instruction)}`;
}

/**
 * Feed stdout lines; get step transitions. Only lines that continue the expected sequence count,
 * so a RUN command printing "STEP 1/2: …" itself cannot invent phases.
 */
export class StepParser {
  current: Step | undefined;
  private index = 0;
  private committed = false;

  feed(line: string): StepEvent[] {
    if (this.committed) return [];
    const m = STEP_RE.exec(line);
    if (m) {
      const stage = m[1] ? { n: Number(m[1]), m: Number(m[2]) } : undefined;
      const n = Number(m[3]);
      const total = Number(m[4]);
      if (!this.isNext(n, total, stage)) return [];
      // A FROM step is a cache hit unless the base image has to be pulled (see below).
      const step: Step = { index: ++this.index, n, m: total, stage, instruction: m[5]!, name: '', cached: FROM_RE.test(m[5]!) };
      step.name = stepName(step);
      this.current = step;
      return [{ type: 'step', step }];
    }
    if (this.current && !this.current.cached && CACHE_RE.test(line)) {
      this.current.cached = true;
      return [{ type: 'cached', step: this.current }];
    }
    if (this.current && COMMIT_RE.test(line) && this.isLastStep()) {
      this.committed = true;
      return [{ type: 'commit' }];
    }
    return [];
  }

  /** Output lines (buildah prints pulls on stderr): a pull while a FROM step is current makes it a cache miss. */
  feedStderr(line: string): void {
    if (!this.committed && this.current?.cached && FROM_RE.test(this.current.instruction) && PULL_RE.test(line)) this.current.cached = false;
  }

  private isNext(n: number, total: number, stage?: { n: number; m: number }): boolean {
    const cur = this.current;
    if (!cur) return n === 1 && (!stage || stage.n === 1);
    if (!!stage !== !!cur.stage) return false;
    if (stage && cur.stage && stage.m !== cur.stage.m) return false;
    const sameStage = !stage || stage.n === cur.stage!.n;
    if (sameStage) return total === cur.m && n === cur.n + 1;
    return stage!.n === cur.stage!.n + 1 && n === 1 && cur.n === cur.m;
  }

  private isLastStep(): boolean {
    const cur = this.current!;
    return cur.n === cur.m && (!cur.stage || cur.stage.n === cur.stage.m);
  }
}

export interface BuildError {
  /** The instruction as buildah names it in the error (exec form is shown unbracketed). */
  instruction: string;
  message: string;
  /** Exit status of a failed RUN. */
  exitCode?: number;
}

const ERROR_PREFIX = 'Error: building at STEP "';

/**
 * Finds buildah's final error line (stderr); undefined when the failure was not at a step.
 * The instruction may itself contain `": `, so when the current step is known its text is used
 * to split the line; otherwise the first `": ` does.
 */
export function parseBuildError(line: string, currentInstruction?: string): BuildError | undefined {
  if (!line.startsWith(ERROR_PREFIX)) return undefined;
  const rest = line.slice(ERROR_PREFIX.length);
  const split = currentInstruction !== undefined && rest.startsWith(`${currentInstruction}": `) ? currentInstruction.length : rest.indexOf('": ');
  if (split === -1) return undefined;
  const instruction = rest.slice(0, split);
  const message = rest.slice(split + 3);
  const status = /^exit status (\d+)$/.exec(message);
  return { instruction, message, ...(status ? { exitCode: Number(status[1]) } : {}) };
}

export interface PlatformWarning {
  image: { os: string; architecture: string; variant?: string };
  expected: { os: string; architecture: string; variant?: string };
}

// Go's %v of an OCI platform: {architecture os osversion [osfeatures] variant}
const GO_PLATFORM = String.raw`\{(\S*) (\S*) (\S*) \[[^\]]*\] ?(\S*)\}`;
const PLATFORM_WARNING_RE = new RegExp(`^WARNING: image platform \\(${GO_PLATFORM}\\) does not match the expected platform \\(${GO_PLATFORM}\\)`);

/**
 * buildah 1.28 pulls a base image that only exists for another platform with just this warning,
 * then stamps the requested platform on the result: the only trace of the mismatch.
 */
export function platformWarningOf(line: string): PlatformWarning | undefined {
  const m = PLATFORM_WARNING_RE.exec(line);
  if (!m) return undefined;
  const p = (arch: string, os: string, variant: string) => ({ os, architecture: arch, ...(variant ? { variant } : {}) });
  return { image: p(m[1]!, m[2]!, m[4]!), expected: p(m[5]!, m[6]!, m[8]!) };
}
