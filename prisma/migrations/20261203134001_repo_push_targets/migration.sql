-- AlterTable
ALTER TABLE "Repo" ADD COLUMN     "pushTargets" TEXT[] DEFAULT ARRAY[]::TEXT[];
