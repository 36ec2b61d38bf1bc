-- Builds are accepted in `resolving`: the API's resolver turns the ref into a commit and reads
-- .archway.yaml behind the request, then the build is `queued` (or `failed` with the reason).
-- ADD VALUE is allowed inside the migration's transaction (PostgreSQL 12+) as long as nothing in it
-- uses the new value; BEFORE keeps the contract's order (packages/shared/contract/src/statuses.ts).

-- AlterEnum
ALTER TYPE "BuildStatus" ADD VALUE 'resolving' BEFORE 'queued';
