-- The epoch of the in-process caches of API keys and policies (custodian-store-sql read_cache.rs):
-- every change of a key (revocation, erasure) or of a policy advances it in its own transaction,
-- and every process polls it and clears its caches when it moved. Key inserts do not advance it:
-- only keys that exist are cached.
CREATE TABLE cache_epoch (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    epoch  INTEGER NOT NULL
);
INSERT INTO cache_epoch (id, epoch) VALUES (1, 0);

CREATE TRIGGER cache_epoch_key_update AFTER UPDATE ON api_keys
BEGIN
    UPDATE cache_epoch SET epoch = epoch + 1 WHERE id = 1;
END;
CREATE TRIGGER cache_epoch_key_delete AFTER DELETE ON api_keys
BEGIN
    UPDATE cache_epoch SET epoch = epoch + 1 WHERE id = 1;
END;
CREATE TRIGGER cache_epoch_policy_insert AFTER INSERT ON domain_policies
BEGIN
    UPDATE cache_epoch SET epoch = epoch + 1 WHERE id = 1;
END;
CREATE TRIGGER cache_epoch_policy_update AFTER UPDATE ON domain_policies
BEGIN
    UPDATE cache_epoch SET epoch = epoch + 1 WHERE id = 1;
END;
CREATE TRIGGER cache_epoch_policy_delete AFTER DELETE ON domain_policies
BEGIN
    UPDATE cache_epoch SET epoch = epoch + 1 WHERE id = 1;
END;
