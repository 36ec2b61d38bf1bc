import { describe, expect, it } from 'vitest';
import { REASON_MAX_CHARS, boundReason, taskLogPointer } from './reason.ts';

describe('boundReason', () => {
  it('keeps a short reason as it is', () => {
    expect(boundReason('linux/arm64: step 2/3 failed\nexit code 2', 'x')).toBe('linux/arm64: step 2/3 failed\nexit code 2');
  });

  it('cuts a multi-KB dump at a line boundary and points to the log', () => {
    const lines = Array.from({ length: 400 }, (_, i) => `buildah: line ${i} ${'x'.repeat(30)}`);
    const dump = `linux/amd64: step 3/4 failed\n${lines.join('\n')}`;
    const out = boundReason(dump, taskLogPointer('b1', 'linux/amd64'));
    expect(out.length).toBeLessThanOrEqual(REASON_MAX_CHARS);
    expect(out.startsWith('linux/amd64: step 3/4 failed\nbuildah: line 0 ')).toBe(true);
    const [head, tail] = out.split('\n…');
    // Every kept line is a whole line of the input.
    for (const line of head!.split('\n').slice(1)) expect(lines).toContain(line);
    expect(tail).toMatch(/^ \(\d+ more characters; full log: GET \/api\/v1\/builds\/b1\/logs\?platform=linux\/amd64\)$/);
    const left = Number(/\((\d+) more/.exec(tail!)![1]);
    expect(left).toBe(dump.length - head!.length);
  });

  it('cuts a single over-long line', () => {
    const out = boundReason('y'.repeat(50_000));
    expect(out.length).toBeLessThanOrEqual(REASON_MAX_CHARS);
    expect(out).toMatch(/^y+\n… \(\d+ more characters\)$/);
  });
});
