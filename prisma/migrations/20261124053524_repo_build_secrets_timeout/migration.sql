-- AlterTable
ALTER TABLE "Repo" ADD COLUMN     "buildSecrets" JSONB NOT NULL DEFAULT '{}',
ADD COLUMN     "buildTimeoutMs" INTEGER;
