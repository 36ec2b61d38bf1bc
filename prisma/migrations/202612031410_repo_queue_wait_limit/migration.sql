-- A repository's own queue-wait limit (null: ARCHWAY_QUEUE_WAIT_LIMIT).
ALTER TABLE "Repo" ADD COLUMN "queueWaitLimitMs" INTEGER;
