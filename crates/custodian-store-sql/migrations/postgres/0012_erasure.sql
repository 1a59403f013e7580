-- Erasure (GDPR Art. 17): an erased customer keeps its row, so that the ids, sequence numbers and
-- the audit trail's shape stay, but every query treats it as not found. Its personal data is
-- removed from every other table in the same transaction that sets this.
ALTER TABLE customers ADD COLUMN erased_ms BIGINT;
