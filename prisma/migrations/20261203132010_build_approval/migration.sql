-- Pull requests from forks and first-time contributors wait for approval (issue 16): a build status
-- before `queued`, why it waits and who approved it, and a repository setting that turns it off.
ALTER TYPE "BuildStatus" ADD VALUE 'waiting-for-approval' BEFORE 'queued';

-- AlterTable
ALTER TABLE "Build" ADD COLUMN "approvalReason" TEXT,
ADD COLUMN "approvedAt" TIMESTAMP(3),
ADD COLUMN "approvedBy" TEXT;

-- AlterTable
ALTER TABLE "Repo" ADD COLUMN "requireApproval" BOOLEAN NOT NULL DEFAULT true;
