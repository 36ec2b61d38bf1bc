import type { BuildStatus } from '@archway/contract';
import type { BuildStatus as DbBuildStatus } from '../generated/prisma/enums.ts';

/**
 * The contract's build statuses as the generated client spells them. Postgres stores the
 * contract's own strings (`@map` in schema.prisma), but a Prisma enum value must be an identifier,
 * so `waiting-for-approval` is `waiting_for_approval` in TypeScript rows and filters. Every read
 * of `Build.status` that leaves the API, and every filter built from the contract's sets, goes
 * through these two.
 */
export type { DbBuildStatus };

export function toDbStatus(status: BuildStatus): DbBuildStatus {
  return status === 'waiting-for-approval' ? 'waiting_for_approval' : status;
}

export function fromDbStatus(status: DbBuildStatus): BuildStatus {
  return status === 'waiting_for_approval' ? 'waiting-for-approval' : status;
}

/** A contract set (`QUEUED_BUILD_STATUSES`, …) as a Prisma `in` filter. */
export function dbStatuses(statuses: readonly BuildStatus[]): DbBuildStatus[] {
  return statuses.map(toDbStatus);
}
