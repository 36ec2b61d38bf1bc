-- What a webhook said that the resolver needs and git cannot tell it: the push's previous commit
-- (path filters) and why a pull request must wait for approval (fork, first-time contributor).
ALTER TABLE "Build" ADD COLUMN "before" TEXT;
ALTER TABLE "Build" ADD COLUMN "untrusted" TEXT;
