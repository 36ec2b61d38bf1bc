-- Every list is cut by (createdAt, id) (keyset pagination): one index per filter the API and the
-- dashboard offer, each ending in the sort keys, so no page reads more than it shows
-- (apps/api/src/hot-queries.test.ts EXPLAINs each on 100,000 builds).

-- DropIndex
DROP INDEX "Build_status_idx";

-- DropIndex
DROP INDEX "Build_repoId_triggerRef_idx";

-- DropIndex
DROP INDEX "WebhookDelivery_repoId_createdAt_idx";

-- CreateIndex
CREATE INDEX "Build_status_createdAt_id_idx" ON "Build"("status", "createdAt" DESC, "id");

-- CreateIndex
CREATE INDEX "Build_repoId_createdAt_id_idx" ON "Build"("repoId", "createdAt" DESC, "id");

-- CreateIndex
CREATE INDEX "Build_ref_createdAt_id_idx" ON "Build"("ref", "createdAt" DESC, "id");

-- CreateIndex
CREATE INDEX "Build_repoId_triggerRef_createdAt_idx" ON "Build"("repoId", "triggerRef", "createdAt" DESC);

-- CreateIndex
CREATE INDEX "WebhookDelivery_repoId_createdAt_id_idx" ON "WebhookDelivery"("repoId", "createdAt" DESC, "id");

-- CreateIndex
CREATE INDEX "ApiToken_createdAt_id_idx" ON "ApiToken"("createdAt" DESC, "id");
