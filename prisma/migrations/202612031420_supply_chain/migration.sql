-- Supply chain (docs/supply-chain.md): what the merger published besides the images, and the
-- repository's switch for attestation manifests, and each task's SBOM and provenance material
-- (so that a publish queued again by the reconciler still attests).
ALTER TABLE "Build" ADD COLUMN "supplyChain" JSONB;
ALTER TABLE "Repo" ADD COLUMN "attestations" BOOLEAN NOT NULL DEFAULT true;
ALTER TABLE "Task" ADD COLUMN "supply" JSONB;
