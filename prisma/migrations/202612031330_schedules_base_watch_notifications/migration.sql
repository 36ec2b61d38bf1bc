-- Issue 16, second half: schedules, base-image rebuilds, GitLab, outgoing notifications.
-- Build.trigger stays text; its values are the contract's BuildTrigger (schedule and base-image are new).
ALTER TABLE "Build" ADD COLUMN "reason" TEXT;
ALTER TABLE "Task" ADD COLUMN "baseImages" JSONB NOT NULL DEFAULT '[]';
ALTER TABLE "Repo" ADD COLUMN "rebuildOnBaseChange" BOOLEAN NOT NULL DEFAULT false;

CREATE TABLE "Schedule" (
    "id" UUID NOT NULL,
    "repoId" UUID NOT NULL,
    "branch" TEXT NOT NULL,
    "cron" TEXT NOT NULL,
    "timezone" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "lastRunAt" TIMESTAMP(3),
    "lastResult" TEXT,
    "lastMessage" TEXT,
    "lastBuildId" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "Schedule_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "Schedule_repoId_idx" ON "Schedule"("repoId");
ALTER TABLE "Schedule" ADD CONSTRAINT "Schedule_repoId_fkey" FOREIGN KEY ("repoId") REFERENCES "Repo"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "BaseImageWatch" (
    "reference" TEXT NOT NULL,
    "digest" TEXT,
    "members" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "checkedAt" TIMESTAMP(3),
    "changedAt" TIMESTAMP(3),
    "nextCheckAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "failures" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "BaseImageWatch_pkey" PRIMARY KEY ("reference")
);
CREATE INDEX "BaseImageWatch_nextCheckAt_idx" ON "BaseImageWatch"("nextCheckAt");

CREATE TABLE "Notification" (
    "id" UUID NOT NULL,
    "repoId" UUID NOT NULL,
    "url" TEXT NOT NULL,
    "events" TEXT[],
    "format" TEXT NOT NULL DEFAULT 'json',
    "secret" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "Notification_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "Notification_repoId_idx" ON "Notification"("repoId");
ALTER TABLE "Notification" ADD CONSTRAINT "Notification_repoId_fkey" FOREIGN KEY ("repoId") REFERENCES "Repo"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "NotificationDelivery" (
    "id" UUID NOT NULL,
    "notificationId" UUID NOT NULL,
    "event" TEXT NOT NULL,
    "buildId" UUID,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "responseStatus" INTEGER,
    "error" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "NotificationDelivery_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "NotificationDelivery_notificationId_buildId_event_key" ON "NotificationDelivery"("notificationId", "buildId", "event");
CREATE INDEX "NotificationDelivery_notificationId_createdAt_idx" ON "NotificationDelivery"("notificationId", "createdAt" DESC);
ALTER TABLE "NotificationDelivery" ADD CONSTRAINT "NotificationDelivery_notificationId_fkey" FOREIGN KEY ("notificationId") REFERENCES "Notification"("id") ON DELETE CASCADE ON UPDATE CASCADE;
