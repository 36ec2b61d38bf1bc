-- Supply chain (docs/supply-chain.md): what the merger published besides the images, and the
-- repository's switch for attestation manifests.
ALTER TABLE "Build" ADD COLUMN "supplyChain" JSONB;
ALTER TABLE "Repo" ADD COLUMN "attestations" BOOLEAN NOT NULL DEFAULT true;
