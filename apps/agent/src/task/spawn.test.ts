import { statSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, inject, it } from 'vitest';
import { readLines } from './lines.ts';
import { capture, runProcess } from './spawn.ts';
import { processRunning as running } from '../../test/support.ts';

describe('runProcess', () => {
  it('streams stdout and stderr lines and reports the exit code', async () => {
    const r = await capture('sh', ['-c', 'echo out1; echo err1 >&2; printf "no newline"; exit 7']);
    expect(r.code).toBe(7);
    expect(r.lines.sort()).toEqual(['err1', 'no newline', 'out1']);
  });

  it('passes arguments without a shell', async () => {
    const r = await capture('printf', ['%s\n', '$(echo injected); `id`']);
    expect(r.lines).toEqual(['$(echo injected); `id`']);
  });

  it('kills the whole process group, with SIGKILL when SIGTERM is ignored', async () => {
    const controller = new AbortController();
    let grandchild = 0;
    const run = runProcess('sh', ['-c', 'trap "" TERM; sleep 30 & echo $!; wait'], {
      signal: controller.signal,
      killAfterMs: 300,
      onLine: (l) => {
        grandchild = Number(l);
        controller.abort();
      },
    });
    const t0 = Date.now();
    const r = await run;
    expect(r.aborted).toBe(true);
    expect(r.signal).toBe('SIGKILL');
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(grandchild).toBeGreaterThan(0);
    expect(running(grandchild)).toBe(false);
  });

  it('says which program is missing', async () => {
    await expect(runProcess('archway-no-such-binary', [])).rejects.toThrow('archway-no-such-binary not found');
  });
});

describe('runProcess with outputFile', () => {
  const outFile = async () => join(await mkdtemp(join(inject('tmpRoot'), 'spawn-')), 'out');

  it('reads every line, stdout and stderr in write order, though the reader is slower than the child', async () => {
    const file = await outFile();
    const seen: [string, string][] = [];
    let exitedWhileReading = false;
    let pid = 0;
    const r = await runProcess('sh', ['-c', 'i=0; while [ $i -lt 3000 ]; do echo "out $i"; echo "err $i" >&2; i=$((i+1)); done; printf tail; exit 4'], {
      outputFile: file,
      onSpawn: (p) => void (pid = p),
      onLine: async (line, stream) => {
        seen.push([line, stream]);
        if (seen.length % 500 === 0) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          exitedWhileReading ||= !running(pid);
        }
      },
    });
    expect(r.code).toBe(4);
    const expected = Array.from({ length: 3000 }, (_, i) => [`out ${i}`, `err ${i}`]).flat();
    expect(seen.map(([l]) => l)).toEqual([...expected, 'tail']);
    expect(new Set(seen.map(([, s]) => s))).toEqual(new Set(['output']));
    // The child did not wait for the reader: it was gone while lines were still being read.
    expect(exitedWhileReading).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('stops the process group on abort and still reads what it wrote', async () => {
    const controller = new AbortController();
    const lines: string[] = [];
    const r = await runProcess('sh', ['-c', 'echo started; sleep 30 & wait'], {
      outputFile: await outFile(),
      signal: controller.signal,
      killAfterMs: 300,
      onLine: (l) => {
        lines.push(l);
        controller.abort();
      },
    });
    expect(r.aborted).toBe(true);
    expect(lines).toEqual(['started']);
  });

  it('rejects with the first error of the line handler, after the process is done', async () => {
    const run = runProcess('sh', ['-c', 'echo a; echo b'], {
      outputFile: await outFile(),
      onLine: (l) => {
        if (l === 'a') throw new Error('sink broke');
      },
    });
    await expect(run).rejects.toThrow('sink broke');
  });
});

describe('readLines', () => {
  const lines = async (chunks: string[]) => {
    const out: string[] = [];
    for await (const l of readLines(Readable.from(chunks.map((c) => Buffer.from(c))))) out.push(l);
    return out;
  };

  it('splits on \\n, \\r\\n and \\r across chunk boundaries', async () => {
    expect(await lines(['a\r', '\nb\rc\n', 'd'])).toEqual(['a', 'b', 'c', 'd']);
  });

  it('keeps multi-byte characters split across chunks', async () => {
    const bytes = Buffer.from('héllo\n');
    const out: string[] = [];
    for await (const l of readLines(Readable.from([bytes.subarray(0, 2), bytes.subarray(2)]))) out.push(l);
    expect(out).toEqual(['héllo']);
  });

  it('cuts runaway lines into bounded pieces', async () => {
    const out = await lines(['x'.repeat(40_000), '\n']);
    expect(out.map((l) => l.length)).toEqual([16384, 16384, 40_000 - 32768]);
  });
});
