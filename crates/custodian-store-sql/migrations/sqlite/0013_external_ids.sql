-- A customer's number in the system it came from (custodian_domain::values::ExternalId): unique
-- per tenant, so that `custodian import` run again skips the customers it has imported already
-- (the unique index decides, not a lookup first). Erasure clears it.
ALTER TABLE customers ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX customers_by_external_id ON customers (tenant_id, external_id) WHERE external_id IS NOT NULL;
