-- Foundation schema (SQLite). Timestamps are INTEGER epoch milliseconds so that they compare and
-- order correctly; JSON documents are TEXT.

CREATE TABLE tenants (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL,
    created_ms  INTEGER NOT NULL
);

CREATE TABLE api_keys (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    prefix      TEXT    NOT NULL UNIQUE,
    key_hash    TEXT    NOT NULL UNIQUE,
    scopes      TEXT    NOT NULL,
    label       TEXT    NOT NULL,
    created_ms  INTEGER NOT NULL,
    revoked_ms  INTEGER
);

CREATE TABLE domain_policies (
    tenant_id         INTEGER NOT NULL REFERENCES tenants (id),
    domain            TEXT    NOT NULL,
    status            TEXT    NOT NULL,
    require_signature BOOLEAN NOT NULL,
    updated_ms        INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, domain)
);

CREATE TABLE customers (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    event_seq   INTEGER NOT NULL DEFAULT 0,
    created_ms  INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL
);
CREATE INDEX customers_by_tenant ON customers (tenant_id, id);

CREATE TABLE customer_domains (
    tenant_id   INTEGER NOT NULL,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    domain      TEXT    NOT NULL,
    data        TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL,
    PRIMARY KEY (customer_id, domain)
);

CREATE TABLE amendments (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id        INTEGER NOT NULL REFERENCES tenants (id),
    customer_id      INTEGER NOT NULL REFERENCES customers (id),
    domain           TEXT    NOT NULL,
    state            TEXT    NOT NULL,
    proposed         TEXT    NOT NULL,
    signature_svg    TEXT,
    base_version     INTEGER NOT NULL,
    submitted_by     TEXT    NOT NULL,
    submitted_ms     INTEGER NOT NULL,
    decided_by       TEXT,
    decided_ms       INTEGER,
    rejection_reason TEXT
);
-- The one-pending rule: at most one pending amendment per customer and domain, enforced here.
CREATE UNIQUE INDEX amendments_one_pending ON amendments (tenant_id, customer_id, domain) WHERE state = 'pending';
CREATE INDEX amendments_queue ON amendments (tenant_id, state, id);
CREATE INDEX amendments_by_customer ON amendments (tenant_id, customer_id, id);

CREATE TABLE audit_entries (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id    INTEGER NOT NULL REFERENCES tenants (id),
    customer_id  INTEGER,
    at_ms        INTEGER NOT NULL,
    actor        TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    domain       TEXT,
    amendment_id INTEGER,
    changes      TEXT    NOT NULL,
    request_id   TEXT
);
CREATE INDEX audit_by_customer ON audit_entries (tenant_id, customer_id, id);

CREATE TABLE outbox_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    seq         INTEGER NOT NULL,
    event_type  TEXT    NOT NULL,
    payload     TEXT    NOT NULL,
    request_id  TEXT,
    created_ms  INTEGER NOT NULL
);
CREATE UNIQUE INDEX outbox_by_customer_seq ON outbox_events (customer_id, seq);
