-- AlterTable
ALTER TABLE "Repo" ADD COLUMN     "pullRequestSecrets" BOOLEAN NOT NULL DEFAULT false;
