-- AlterTable
ALTER TABLE "Build" ADD COLUMN     "repoId" UUID,
ADD COLUMN     "statusError" TEXT,
ADD COLUMN     "statusState" TEXT,
ADD COLUMN     "triggerRef" TEXT;

-- CreateTable
CREATE TABLE "Repo" (
    "id" UUID NOT NULL,
    "fullName" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "cloneUrl" TEXT NOT NULL,
    "defaultBranch" TEXT NOT NULL DEFAULT 'main',
    "apiUrl" TEXT,
    "image" TEXT,
    "containerfile" TEXT,
    "context" TEXT NOT NULL DEFAULT '.',
    "platforms" TEXT[],
    "buildArgs" JSONB NOT NULL DEFAULT '{}',
    "tagRules" JSONB NOT NULL DEFAULT '{}',
    "cancelSupersededBranches" BOOLEAN NOT NULL DEFAULT false,
    "cancelSupersededPulls" BOOLEAN NOT NULL DEFAULT true,
    "webhookSecret" TEXT NOT NULL,
    "forgeToken" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Repo_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "WebhookDelivery" (
    "id" UUID NOT NULL,
    "source" TEXT NOT NULL,
    "deliveryId" TEXT NOT NULL,
    "event" TEXT NOT NULL,
    "action" TEXT,
    "repoId" UUID,
    "result" TEXT NOT NULL,
    "message" TEXT,
    "buildId" UUID,
    "attempts" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "WebhookDelivery_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Repo_provider_fullName_key" ON "Repo"("provider", "fullName");

-- CreateIndex
CREATE INDEX "WebhookDelivery_repoId_createdAt_idx" ON "WebhookDelivery"("repoId", "createdAt" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "WebhookDelivery_source_deliveryId_key" ON "WebhookDelivery"("source", "deliveryId");

-- CreateIndex
CREATE INDEX "Build_repoId_triggerRef_idx" ON "Build"("repoId", "triggerRef");

-- AddForeignKey
ALTER TABLE "Build" ADD CONSTRAINT "Build_repoId_fkey" FOREIGN KEY ("repoId") REFERENCES "Repo"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "WebhookDelivery" ADD CONSTRAINT "WebhookDelivery_repoId_fkey" FOREIGN KEY ("repoId") REFERENCES "Repo"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "WebhookDelivery" ADD CONSTRAINT "WebhookDelivery_buildId_fkey" FOREIGN KEY ("buildId") REFERENCES "Build"("id") ON DELETE SET NULL ON UPDATE CASCADE;
