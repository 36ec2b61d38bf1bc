-- A webhook delivery whose push was deliberately not built ([skip ci], `when:` filters in
-- .archway.yaml) is recorded as `skipped`, apart from events Archway does not handle (`ignored`).
ALTER TYPE "DeliveryResult" ADD VALUE 'skipped';
