-- Webhook subscriptions and their deliveries. A delivery row is created for every matching
-- subscription in the same transaction as the outbox event it delivers.

CREATE TABLE webhook_subscriptions (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id               INTEGER NOT NULL REFERENCES tenants (id),
    url                     TEXT    NOT NULL,
    -- ' type1 type2 ' (padded for matching), or '' for every event type
    event_types             TEXT    NOT NULL,
    format                  TEXT    NOT NULL,
    secret                  TEXT    NOT NULL,
    previous_secret         TEXT,
    previous_secret_until   INTEGER,
    vendor_key              TEXT,
    enabled                 BOOLEAN NOT NULL,
    disabled_reason         TEXT,
    consecutive_failures    INTEGER NOT NULL DEFAULT 0,
    created_ms              INTEGER NOT NULL,
    updated_ms              INTEGER NOT NULL
);
CREATE INDEX webhook_subscriptions_by_tenant ON webhook_subscriptions (tenant_id, id);

CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id        INTEGER NOT NULL REFERENCES tenants (id),
    subscription_id  INTEGER NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    event_id         INTEGER NOT NULL REFERENCES outbox_events (id),
    customer_id      INTEGER NOT NULL,
    seq              INTEGER NOT NULL,
    status           TEXT    NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms  INTEGER NOT NULL,
    locked_until_ms  INTEGER,
    last_status_code INTEGER,
    last_error       TEXT,
    created_ms       INTEGER NOT NULL,
    delivered_ms     INTEGER
);
CREATE UNIQUE INDEX webhook_deliveries_once ON webhook_deliveries (subscription_id, event_id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_ms, id);
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (subscription_id, customer_id, seq);
