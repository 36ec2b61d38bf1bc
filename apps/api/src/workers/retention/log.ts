/** The slice of a pino/Fastify logger retention writes to. */
export interface RetentionLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** What one run removed. Objects are counted only when they existed. */
export interface RetentionCounts {
  /** Builds whose archives and/or logs were expired (and marked) in this run. */
  builds: number;
  /** Archives and the supply-chain objects (SBOM, provenance) removed with them. */
  archives: number;
  logs: number;
  /** Objects of builds the database does not know. */
  orphans: number;
  /** Bytes freed, all kinds together. */
  bytes: number;
  /** Builds left for the next run because the object store failed. */
  failed: number;
}

export function emptyCounts(): RetentionCounts {
  return { builds: 0, archives: 0, logs: 0, orphans: 0, bytes: 0, failed: 0 };
}
