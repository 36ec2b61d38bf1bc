import type { Build, Phase, Task } from '@archway/contract';

export const T0 = Date.parse('2026-01-01T10:00:00.000Z');
export const at = (s: number) => new Date(T0 + s * 1000).toISOString();

/** A phase from second `from` to second `to` of the build (to = null: still running). */
export function phase(name: string, kind: Phase['kind'], from: number, to: number | null, extra: Partial<Phase> = {}): Phase {
  return {
    name,
    kind,
    step: null,
    attempt: 1,
    startedAt: at(from),
    endedAt: to === null ? null : at(to),
    durationMs: to === null ? null : (to - from) * 1000,
    cached: null,
    ...extra,
  };
}

export function task(platform: string, phases: Phase[], extra: Partial<Task> = {}): Task {
  return {
    id: `task-${platform.replace('/', '-')}`,
    platform,
    status: 'built',
    agent: `agent-${platform.split('/')[1]}`,
    attempts: 1,
    error: null,
    failedStep: null,
    exitCode: null,
    manifestDigest: null,
    archiveSize: null,
    startedAt: phases[0]?.startedAt ?? null,
    finishedAt: null,
    phases,
    ...extra,
  };
}

export function build(tasks: Task[], extra: Partial<Build> = {}): Build {
  return {
    id: '6f1c7a8e-1111-4000-8000-000000000001',
    status: 'succeeded',
    source: { url: 'https://git.example.com/team/app.git', ref: 'main', commit: 'a'.repeat(40) },
    containerfile: null,
    context: '.',
    platforms: tasks.map((t) => t.platform),
    image: 'registry.example.com/team/app',
    tags: ['latest'],
    buildArgs: {},
    push: true,
    trigger: 'api',
    error: null,
    indexDigest: null,
    createdAt: at(0),
    startedAt: at(0),
    finishedAt: null,
    tasks,
    phases: [],
    ...extra,
  };
}
