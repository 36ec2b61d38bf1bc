import { HostLimit } from './host-limit.ts';
import { InFlight } from './inflight.ts';
import { resolveTurns } from './turns.ts';

/** ARCHWAY_RESOLVE_HOST_CONCURRENCY's default. */
export const DEFAULT_GIT_HOST_CONCURRENCY = 4;

/**
 * The API's own git calls (ls-remote, fetching `.archway.yaml`) go through here: an identical call
 * already running is joined instead of repeated (a webhook storm's twenty builds of one commit
 * fetch it once), and at most `perHost` distinct calls run against one git host at a time, so a
 * slow forge holds its own slots, not everyone's. Each call keeps its own deadline.
 */
export class GitGate {
  private readonly inFlight = new InFlight<unknown>();
  private hosts: HostLimit;

  constructor(perHost = DEFAULT_GIT_HOST_CONCURRENCY) {
    this.hosts = new HostLimit(perHost);
  }

  /** Sets the per-host bound (the resolver's configuration); calls already waiting keep theirs. */
  configure(perHost: number): void {
    if (perHost !== this.hosts.perHost) this.hosts = new HostLimit(perHost);
  }

  /** Runs (or joins) the git call away from the caller's resolver turn (infra/turns.ts). */
  run<T>(host: string, key: string, fn: () => Promise<T>): Promise<T> {
    const hosts = this.hosts;
    return resolveTurns.away(() => this.inFlight.run(JSON.stringify([host, key]), () => hosts.run(host, fn)) as Promise<T>);
  }

  /** Distinct git calls running or waiting for a slot. */
  get size(): number {
    return this.inFlight.size;
  }
}

/** The API process's one gate (the resolver configures it at start). */
export const gitGate = new GitGate();
