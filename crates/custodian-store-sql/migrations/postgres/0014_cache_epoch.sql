-- The epoch of the in-process caches of API keys and policies (custodian-store-sql read_cache.rs):
-- every change of a key (revocation, erasure) or of a policy advances it in its own transaction,
-- and every process polls it and clears its caches when it moved. Key inserts do not advance it:
-- only keys that exist are cached.
CREATE TABLE cache_epoch (
    id     SMALLINT PRIMARY KEY CHECK (id = 1),
    epoch  BIGINT   NOT NULL
);
INSERT INTO cache_epoch (id, epoch) VALUES (1, 0);

CREATE FUNCTION cache_epoch_advance() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE cache_epoch SET epoch = epoch + 1 WHERE id = 1;
    RETURN NULL;
END
$$;

-- Deferred to the commit: the epoch row's lock is the last lock such a transaction takes, so
-- concurrent changes queue on it without a chance of a deadlock with the locks taken before.
CREATE CONSTRAINT TRIGGER cache_epoch_key AFTER UPDATE OR DELETE ON api_keys
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_epoch_advance();
CREATE CONSTRAINT TRIGGER cache_epoch_policy AFTER INSERT OR UPDATE OR DELETE ON domain_policies
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cache_epoch_advance();
