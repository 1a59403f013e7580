-- Subscription-billing customers: each customer's billing-only fields (one profile per customer,
-- its customer number unique per tenant) and the receipts of billing writes (one per request id
-- and tenant, so a repeated request is answered with the first result).

CREATE TABLE billing_profiles (
    customer_id     INTEGER PRIMARY KEY REFERENCES customers (id),
    tenant_id       INTEGER NOT NULL REFERENCES tenants (id),
    customer_number TEXT    NOT NULL,
    data            TEXT    NOT NULL,
    version         INTEGER NOT NULL,
    created_ms      INTEGER NOT NULL,
    updated_ms      INTEGER NOT NULL
);
CREATE UNIQUE INDEX billing_profiles_by_number ON billing_profiles (tenant_id, customer_number);

CREATE TABLE billing_receipts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id       INTEGER NOT NULL REFERENCES tenants (id),
    request_id      TEXT,
    fingerprint     TEXT    NOT NULL,
    customer_id     INTEGER NOT NULL REFERENCES customers (id),
    customer_number TEXT    NOT NULL,
    created_ms      INTEGER NOT NULL
);
CREATE UNIQUE INDEX billing_receipts_by_request ON billing_receipts (tenant_id, request_id);
