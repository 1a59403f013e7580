-- Idempotency receipts: one per (tenant, principal, Idempotency-Key), reserved by INSERT before a
-- write request runs (the unique index lets exactly one of concurrent requests win), marked
-- `committed` in the same transaction as any change the request makes, then completed with the
-- response a repeat answers. `customer_id` (no foreign key: a 404 for an unknown customer is a
-- receipt too) lets erasure find a customer's receipts; `created_ms` drives retention (≥ 24 h).

CREATE TABLE idempotency_receipts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id       INTEGER NOT NULL REFERENCES tenants (id),
    principal       TEXT    NOT NULL,
    idempotency_key TEXT    NOT NULL,
    fingerprint     TEXT    NOT NULL,
    state           TEXT    NOT NULL,
    token           TEXT    NOT NULL,
    lease_until_ms  INTEGER NOT NULL,
    customer_id     INTEGER,
    status          INTEGER,
    headers         TEXT,
    body            BLOB,
    created_ms      INTEGER NOT NULL,
    completed_ms    INTEGER
);
CREATE UNIQUE INDEX idempotency_receipts_by_key ON idempotency_receipts (tenant_id, principal, idempotency_key);
CREATE INDEX idempotency_receipts_by_age ON idempotency_receipts (created_ms);
CREATE INDEX idempotency_receipts_by_customer ON idempotency_receipts (tenant_id, customer_id);

-- Event relays (the NATS JetStream sink): per relay one lease row (only its owner publishes) with
-- a horizon below which every event is published, and per customer the last sequence number the
-- sink acknowledged, so a restart resumes where the last one stopped.

CREATE TABLE event_relay_state (
    relay          TEXT    PRIMARY KEY,
    owner          TEXT    NOT NULL,
    lease_until_ms INTEGER NOT NULL,
    horizon_id     INTEGER NOT NULL
);

CREATE TABLE event_relay_positions (
    relay       TEXT    NOT NULL,
    customer_id INTEGER NOT NULL,
    tenant_id   INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL,
    PRIMARY KEY (relay, customer_id)
);
