/**
 * Coalesces concurrent calls with the same key into one: while a call is in flight, every other
 * caller with its key gets the same promise. Nothing is kept once it settles (this is not a cache:
 * a ref may move a second later). Used for git — in a webhook storm twenty builds of one commit
 * fetch it once.
 */
export class InFlight<T> {
  private readonly running = new Map<string, Promise<T>>();

  run(key: string, fn: () => Promise<T>): Promise<T> {
    const current = this.running.get(key);
    if (current) return current;
    const started = fn().finally(() => this.running.delete(key));
    this.running.set(key, started);
    return started;
  }

  /** Calls in flight now (tests and the query-count bench read it). */
  get size(): number {
    return this.running.size;
  }
}
