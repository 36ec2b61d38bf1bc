-- AlterTable
ALTER TABLE "Build" ADD COLUMN     "archivesDeletedAt" TIMESTAMP(3),
ADD COLUMN     "logsDeletedAt" TIMESTAMP(3);
