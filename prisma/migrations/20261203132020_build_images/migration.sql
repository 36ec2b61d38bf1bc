-- Several images per build (issue 16): each task names its image ("" for builds of one image),
-- a platform may appear once per image, and the build keeps each image's published index digest.

-- DropIndex
DROP INDEX "Task_buildId_platform_key";

-- AlterTable
ALTER TABLE "Build" ADD COLUMN "imageDigests" JSONB NOT NULL DEFAULT '{}';

-- AlterTable
ALTER TABLE "Task" ADD COLUMN "image" TEXT NOT NULL DEFAULT '';

-- CreateIndex
CREATE UNIQUE INDEX "Task_buildId_image_platform_key" ON "Task"("buildId", "image", "platform");
