import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** The API child of this process (test/harness/stack.ts spawns `node --import tsx …/api/src/main.ts`). */
export async function apiPid(timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        if (statFields(Number(name))[1] !== String(process.pid)) continue;
        const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
        if (cmd.some((a) => a.endsWith('apps/api/src/main.ts'))) return Number(name);
      } catch {
        // the process ended while we looked
      }
    }
    if (Date.now() > deadline) throw new Error('no API child process found under this process');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Fields of /proc/<pid>/stat after the command name: [0] is field 3 (state). */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

let ticks: number | undefined;
export function clockTicks(): number {
  ticks ??= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  return ticks;
}

/** utime + stime of the process, in milliseconds. */
export function cpuMs(pid: number): number {
  return (cpuTicks(pid) * 1000) / clockTicks();
}

/** utime + stime of the process, in clock ticks. */
export function cpuTicks(pid: number): number {
  const f = statFields(pid);
  return Number(f[11]) + Number(f[12]);
}

/** Samples a process's CPU time every `everyMs` to read its use over any wall-clock window later. */
export class CpuSampler {
  private readonly samples: { at: number; cpuMs: number }[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    everyMs: number,
  ) {
    const take = () => this.samples.push({ at: Date.now(), cpuMs: (cpuTicks(pid) * 1000) / clockTicks() });
    take();
    this.timer = setInterval(take, everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.samples.push({ at: Date.now(), cpuMs: (cpuTicks(this.pid) * 1000) / clockTicks() });
  }

  /** CPU use in percent of one core between two wall-clock times (ms), interpolated between samples. */
  percentBetween(from: number, to: number): number {
    return ((this.cpuAt(to) - this.cpuAt(from)) / Math.max(1, to - from)) * 100;
  }

  private cpuAt(t: number): number {
    const s = this.samples;
    if (t <= s[0]!.at) return s[0]!.cpuMs;
    for (let i = 1; i < s.length; i++) {
      if (s[i]!.at >= t) {
        const a = s[i - 1]!;
        const b = s[i]!;
        return a.cpuMs + ((b.cpuMs - a.cpuMs) * (t - a.at)) / Math.max(1, b.at - a.at);
      }
    }
    return s[s.length - 1]!.cpuMs;
  }
}
