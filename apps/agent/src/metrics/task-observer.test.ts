import { ROOT_CONTEXT } from '@archway/runtime/tracing';
import { describe, expect, it } from 'vitest';
import { createAgentMetrics } from './agent-metrics.ts';
import { stepInstruction, TaskMetricsObserver } from './task-observer.ts';

/** The value of one series of the registry's exposition, or undefined. */
async function value(m: ReturnType<typeof createAgentMetrics>, series: string): Promise<number | undefined> {
  const line = (await m.registry.metrics()).split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : undefined;
}

describe('TaskMetricsObserver', () => {
  it('turns phases, cache answers and the outcome into bounded series', async () => {
    const m = createAgentMetrics('linux/arm64');
    const o = new TaskMetricsObserver(m, ROOT_CONTEXT, { 'archway.task_id': 't-1' });
    o.phaseStarted('clone', 'clone');
    o.gitCache(true);
    o.phaseEnded('clone');
    o.phaseStarted('build', 'build');
    o.phaseStarted('step 1/2: FROM busybox', 'step');
    o.phaseEnded('step 1/2: FROM busybox', true);
    o.phaseStarted('step 2/2: run make', 'step');
    o.phaseEnded('step 2/2: run make', false);
    o.phaseEnded('build');
    o.uploaded(1234);
    o.ended('failed', 'step-failed');
    o.end();

    expect(await value(m, 'archway_agent_phase_duration_seconds_count{platform="linux/arm64",phase="step"}')).toBe(2);
    expect(await value(m, 'archway_agent_phase_duration_seconds_count{platform="linux/arm64",phase="clone"}')).toBe(1);
    expect(await value(m, 'archway_agent_step_duration_seconds_count{platform="linux/arm64",instruction="RUN"}')).toBe(1);
    expect(await value(m, 'archway_agent_layer_cache_steps_total{platform="linux/arm64",result="hit"}')).toBe(1);
    expect(await value(m, 'archway_agent_layer_cache_steps_total{platform="linux/arm64",result="miss"}')).toBe(1);
    expect(await value(m, 'archway_agent_git_cache_total{platform="linux/arm64",result="hit"}')).toBe(1);
    expect(await value(m, 'archway_agent_uploaded_bytes_total{platform="linux/arm64"}')).toBe(1234);
    expect(await value(m, 'archway_agent_tasks_total{platform="linux/arm64",outcome="failed",cause="step-failed"}')).toBe(1);
    expect(await value(m, 'archway_agent_task_duration_seconds_count{platform="linux/arm64",outcome="failed"}')).toBe(1);
    // Phase names (which may hold a step's command) never become label values.
    expect(await m.registry.metrics()).not.toContain('make');
  });

  it('names the instruction of a step phase, and anything unknown `other`', () => {
    expect(stepInstruction('step 4/5: RUN make')).toBe('RUN');
    expect(stepInstruction('step 1/3: copy . /src')).toBe('COPY');
    expect(stepInstruction('step 2/3: FROBNICATE x')).toBe('other');
    expect(stepInstruction('clone')).toBe('other');
  });
});
