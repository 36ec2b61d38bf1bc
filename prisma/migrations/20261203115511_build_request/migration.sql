-- The stored BuildRequest of each build: jobs and rebuilds come from it instead of the columns.
ALTER TABLE "Build" ADD COLUMN "request" JSONB;

-- Backfill: existing builds get the request their columns describe (what a rebuild used so far).
-- Builds that failed before queueing (invalid .archway.yaml) have no task and no request.
UPDATE "Build" SET "request" = jsonb_strip_nulls(jsonb_build_object(
  'source', jsonb_build_object('url', "sourceUrl", 'ref', "ref", 'commit', "commit"),
  'containerfile', "containerfile",
  'context', "context",
  'platforms', to_jsonb("platforms"),
  'image', "image",
  'tags', to_jsonb("tags"),
  'buildArgs', "buildArgs",
  'push', "push"
))
WHERE EXISTS (SELECT 1 FROM "Task" t WHERE t."buildId" = "Build"."id");
