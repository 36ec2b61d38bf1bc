import { AsyncLocalStorage } from 'node:async_hooks';

/** One run's claim on a turn, as the code it runs sees it (AsyncLocalStorage). */
interface Holder {
  /** It has its turn now. */
  holds: boolean;
  /** Its `away` calls not finished yet (a run may wait on two things at once). */
  away: number;
  /** It is waiting to take a turn again. */
  taking: boolean;
  /** Its run returned: work it left running takes and gives nothing. */
  ended: boolean;
}

/**
 * At most `size` holders run at once; a holder gives its turn back while it waits on something
 * slow outside the process (`away`) and takes a turn again after. Waiters are served in order.
 */
export class Turns {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly holders = new AsyncLocalStorage<Holder | undefined>();

  constructor(readonly size: number) {}

  /** Runs `fn` in a turn, waiting for one first. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire();
    const holder: Holder = { holds: true, away: 0, taking: false, ended: false };
    try {
      return await this.holders.run(holder, fn);
    } finally {
      holder.ended = true;
      if (holder.holds) this.release();
    }
  }

  /** Runs `fn` without the caller's turn, if it holds one, and takes a turn again after. */
  async away<T>(fn: () => Promise<T>): Promise<T> {
    const holder = this.holders.getStore();
    if (!holder || holder.ended) return fn();
    holder.away++;
    if (holder.holds) {
      holder.holds = false;
      this.release();
    }
    try {
      return await this.holders.run(undefined, fn);
    } finally {
      holder.away--;
      if (holder.away === 0 && !holder.holds && !holder.taking && !holder.ended) {
        holder.taking = true;
        await this.acquire();
        holder.taking = false;
        // Gone away again (or ended) while it waited: the turn goes straight back.
        if (holder.away > 0 || holder.ended) this.release();
        else holder.holds = true;
      }
    }
  }

  /** Holders running, and waiting for a turn. */
  get counts(): { active: number; waiting: number } {
    return { active: this.active, waiting: this.waiting.length };
  }

  private acquire(): Promise<void> {
    if (this.active < this.size) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next)
      next(); // the turn passes on: active stays the same
    else this.active--;
  }
}

/**
 * The resolver's turns. Sixteen builds may wait on git at once (ARCHWAY_RESOLVE_CONCURRENCY), and
 * in a webhook storm one fetch of a commit answers for all of them together; then only two at a
 * time go on to plan, cancel, queue and record. Every step of every build is a callback in the
 * API's one event loop, queued ahead of the requests' own steps: twenty builds at once put each
 * step of each webhook answer behind twenty others (storm p99 75 ms against 34–45 ms with one or
 * two turns, bench/scale part B), while two turns still overlap one build's database round trips
 * with another's work (3,188 builds/min in bench:load --sim-only). Git calls (infra/git-gate.ts)
 * and DNS lookups (http/builds/source-address.ts) are waited for away from a turn.
 */
export const RESOLVE_TURNS = 2;
export const resolveTurns = new Turns(RESOLVE_TURNS);
