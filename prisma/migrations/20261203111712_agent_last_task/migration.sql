-- The reconciler records every agent it sees (not only when someone lists them) and the last task
-- each ran, so a lost agent shows what it left behind; lost ones are forgotten by age.
ALTER TABLE "Agent" ADD COLUMN "lastTask" TEXT;

CREATE INDEX "Agent_lastHeartbeat_idx" ON "Agent"("lastHeartbeat");
