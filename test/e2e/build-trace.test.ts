import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { busyboxRepoFiles, makeGitRepo } from '../harness/git-repo.ts';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from '../harness/otlp-receiver.ts';
import type { Stack } from '../harness/stack.ts';
import { startSuiteStack } from '../harness/suite-stack.ts';
import { waitFor } from '../support/wait.ts';

// Tracing on (OTEL_EXPORTER_OTLP_ENDPOINT) in every process of a real stack, exporting over
// OTLP/HTTP JSON to a receiver on loopback: one build must come out as one connected trace.
describe('OpenTelemetry: one build, one trace across API, agent and merger', () => {
  let stack: Stack;
  let receiver: OtlpReceiver;
  let repo: { url: string };
  const registry = inject('registryHost');

  beforeAll(async () => {
    const root = await mkdtemp(join(inject('tmpRoot'), 'trace-e2e-'));
    repo = await makeGitRepo(join(root, 'repo'), busyboxRepoFiles('hello from a trace\n'));
    receiver = await startOtlpReceiver();
    stack = await startSuiteStack(root, ['linux/amd64'], { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '200' });
  });
  afterAll(async () => {
    await stack?.stop();
    await receiver?.close();
  });

  it('links the request, the flow, the agent task with its phases and the merger publish', async () => {
    const res = await stack.api('/api/v1/builds', {
      method: 'POST',
      body: JSON.stringify({ source: { url: repo.url, ref: 'main' }, platforms: ['linux/amd64'], image: `${registry}/trace/app`, tags: ['1'] }),
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    expect((await stack.waitForFinal(id)).status).toBe('succeeded');

    // Spans arrive in batches from three processes: wait until the last ones are in.
    const of = (name: string) => receiver.spans.filter((s) => s.name === name && s.attributes['archway.build_id'] === id);
    const publish = await waitFor(async () => of('merger.publish')[0], 'the merger.publish span', 60_000);
    const traceId = publish.traceId;
    const inTrace = () => receiver.spans.filter((s) => s.traceId === traceId);
    await waitFor(
      async () => inTrace().some((s) => s.name === 'agent.upload') && inTrace().some((s) => s.name.startsWith('POST ')),
      'the agent and request spans',
      60_000,
    );
    const spans = inTrace();

    // One trace: every span with this build's id is in it.
    const withBuild = receiver.spans.filter((s) => s.attributes['archway.build_id'] === id);
    expect(new Set(withBuild.map((s) => s.traceId))).toEqual(new Set([traceId]));

    // Connected: one root, every other span's parent is in the trace.
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const roots = spans.filter((s) => !s.parentSpanId);
    expect(roots.map((s) => `${s.service} ${s.name}`)).toEqual(['archway-api POST /api/v1/builds']);
    for (const s of spans) if (s.parentSpanId) expect(byId.has(s.parentSpanId), `parent of ${s.name}`).toBe(true);

    const one = (name: string): ReceivedSpan => {
      const found = spans.filter((s) => s.name === name);
      expect(found, name).toHaveLength(1);
      return found[0]!;
    };
    const parentOf = (s: ReceivedSpan) => byId.get(s.parentSpanId!)!.name;
    const flow = one('api.flow');
    const task = one('agent.task');
    expect(parentOf(flow)).toBe('POST /api/v1/builds');
    expect(parentOf(task)).toBe('api.flow');
    expect(parentOf(one('merger.publish'))).toBe('api.flow');
    for (const phase of ['agent.clone', 'agent.build', 'agent.export', 'agent.upload']) expect(parentOf(one(phase)), phase).toBe('agent.task');
    const steps = spans.filter((s) => s.name === 'agent.step');
    expect(steps).toHaveLength(5);
    for (const s of steps) expect(parentOf(s)).toBe('agent.build');
    expect(new Set(spans.map((s) => s.service))).toEqual(new Set(['archway-api', 'archway-agent', 'archway-merger']));
    expect(task.attributes['archway.outcome']).toBe('built');
  });
});
