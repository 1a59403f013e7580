-- The tamper-evident audit trail (see custodian_store::audit): every entry commits to the one
-- before it in its chain (per customer; per tenant for entries without a customer) and to its
-- changed values through a salted digest. Rows written before this migration are chained once by
-- the first process that opens the database (marker row in audit_chain_backfill).
ALTER TABLE audit_entries ADD COLUMN values_salt TEXT;
ALTER TABLE audit_entries ADD COLUMN values_digest TEXT;
ALTER TABLE audit_entries ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_entries ADD COLUMN entry_hash TEXT;

-- Each chain's length and last hash, locked by the writer and advanced by the trigger below.
-- chain = the customer id, or 0 for the tenant's own entries.
CREATE TABLE audit_chain_heads (
    tenant_id  BIGINT  NOT NULL,
    chain      BIGINT  NOT NULL,
    entries    BIGINT  NOT NULL,
    head_hash  TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, chain)
);

-- Every chained entry advances its chain's head inside the database (no extra round trip). The
-- writer has locked the head row before computing the entry's hash.
CREATE FUNCTION audit_chain_advance() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE audit_chain_heads SET entries = entries + 1, head_hash = NEW.entry_hash
     WHERE tenant_id = NEW.tenant_id AND chain = COALESCE(NEW.customer_id, 0);
    RETURN NULL;
END
$$;
CREATE TRIGGER audit_chain_advance AFTER INSERT ON audit_entries
    FOR EACH ROW WHEN (NEW.entry_hash IS NOT NULL) EXECUTE FUNCTION audit_chain_advance();

CREATE TABLE audit_chain_backfill (
    id BIGINT PRIMARY KEY
);

-- Retention (custodian_store::retention): find old rows by index.
CREATE INDEX amendments_signature_age ON amendments (tenant_id, decided_ms) WHERE signature_svg IS NOT NULL;
CREATE INDEX outbox_by_tenant_age ON outbox_events (tenant_id, created_ms);
CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries (event_id);
CREATE INDEX billing_receipts_by_age ON billing_receipts (tenant_id, created_ms);
