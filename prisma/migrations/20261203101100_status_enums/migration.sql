-- Statuses become Postgres enums with the contract's values (packages/shared/contract/src/statuses.ts):
-- a typo in a query or an update is now a database error, and the generated client types the columns.
-- ALTER COLUMN ... TYPE rebuilds the indexes on the columns ("Build_status_idx", "Task_status_idx").
-- A default cannot be cast along with the column, so it is dropped and set again.

-- CreateEnum
CREATE TYPE "BuildStatus" AS ENUM ('queued', 'running', 'publishing', 'succeeded', 'failed', 'canceled');

-- CreateEnum
CREATE TYPE "TaskStatus" AS ENUM ('queued', 'running', 'built', 'failed', 'canceled');

-- CreateEnum
CREATE TYPE "AttemptOutcome" AS ENUM ('running', 'built', 'failed', 'requeued', 'canceled');

-- CreateEnum
CREATE TYPE "DeliveryResult" AS ENUM ('processing', 'queued', 'ignored', 'ping', 'error');

-- AlterTable
ALTER TABLE "Build" ALTER COLUMN "status" DROP DEFAULT;
ALTER TABLE "Build" ALTER COLUMN "status" TYPE "BuildStatus" USING "status"::"BuildStatus";
ALTER TABLE "Build" ALTER COLUMN "status" SET DEFAULT 'queued';

-- AlterTable
ALTER TABLE "Task" ALTER COLUMN "status" DROP DEFAULT;
ALTER TABLE "Task" ALTER COLUMN "status" TYPE "TaskStatus" USING "status"::"TaskStatus";
ALTER TABLE "Task" ALTER COLUMN "status" SET DEFAULT 'queued';

-- AlterTable
ALTER TABLE "TaskAttempt" ALTER COLUMN "outcome" DROP DEFAULT;
ALTER TABLE "TaskAttempt" ALTER COLUMN "outcome" TYPE "AttemptOutcome" USING "outcome"::"AttemptOutcome";
ALTER TABLE "TaskAttempt" ALTER COLUMN "outcome" SET DEFAULT 'running';

-- AlterTable
ALTER TABLE "WebhookDelivery" ALTER COLUMN "result" TYPE "DeliveryResult" USING "result"::"DeliveryResult";
