-- AlterTable
ALTER TABLE "Repo" ADD COLUMN     "layerCache" BOOLEAN;
