-- AlterTable
ALTER TABLE "ApiToken" ADD COLUMN     "imagePrefixes" TEXT[] DEFAULT ARRAY[]::TEXT[];
