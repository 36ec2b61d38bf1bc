-- A notification's delivery log is read in keyset pages cut by (createdAt, id), like every other
-- list: its index ends in both sort keys (apps/api/src/hot-queries.test.ts EXPLAINs it).

-- DropIndex
DROP INDEX "NotificationDelivery_notificationId_createdAt_idx";

-- CreateIndex
CREATE INDEX "NotificationDelivery_notificationId_createdAt_id_idx" ON "NotificationDelivery"("notificationId", "createdAt" DESC, "id");
