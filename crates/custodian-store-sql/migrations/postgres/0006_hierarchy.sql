-- Hierarchical partner API (PostgreSQL): the partner profile of customers and their place in the tree,
-- their contacts and addresses (addressed by UUID), asynchronous operations, and API keys bound
-- to a customer. The primary contact's e-mail address and phones and the primary address are
-- kept in the shared customer_domains rows (contact, address), not here.

CREATE TABLE partner_customers (
    customer_id BIGINT  PRIMARY KEY REFERENCES customers (id),
    tenant_id   BIGINT  NOT NULL REFERENCES tenants (id),
    uuid        TEXT    NOT NULL UNIQUE,
    parent_id   BIGINT  REFERENCES partner_customers (customer_id),
    -- ids of the ancestors from the root down to the parent, space-separated ('' for a root)
    ancestry    TEXT    NOT NULL,
    -- the profile as JSON (type, name, currency, permissions, invoicing, MFA, …)
    profile     TEXT    NOT NULL,
    version     BIGINT  NOT NULL,
    created_ms  BIGINT  NOT NULL,
    updated_ms  BIGINT  NOT NULL
);
CREATE INDEX partner_customers_children ON partner_customers (tenant_id, parent_id, customer_id);

CREATE TABLE partner_contacts (
    id          TEXT    PRIMARY KEY,
    tenant_id   BIGINT  NOT NULL REFERENCES tenants (id),
    customer_id BIGINT  NOT NULL REFERENCES partner_customers (customer_id),
    position    BIGINT  NOT NULL,
    is_primary  BOOLEAN NOT NULL,
    data        TEXT    NOT NULL
);
CREATE INDEX partner_contacts_by_customer ON partner_contacts (customer_id, position);
-- At most one primary contact per customer, also under races.
CREATE UNIQUE INDEX partner_contacts_one_primary ON partner_contacts (customer_id) WHERE is_primary;

CREATE TABLE partner_addresses (
    id          TEXT    PRIMARY KEY,
    tenant_id   BIGINT  NOT NULL REFERENCES tenants (id),
    customer_id BIGINT  NOT NULL REFERENCES partner_customers (customer_id),
    position    BIGINT  NOT NULL,
    is_primary  BOOLEAN NOT NULL,
    data        TEXT    NOT NULL
);
CREATE INDEX partner_addresses_by_customer ON partner_addresses (customer_id, position);
CREATE UNIQUE INDEX partner_addresses_one_primary ON partner_addresses (customer_id) WHERE is_primary;

-- Every write of the partner API; OPEN until the write commits (SUCCESS in the same transaction)
-- or fails. Only the requester customer may read it.
CREATE TABLE partner_operations (
    request_id      TEXT    PRIMARY KEY,
    tenant_id       BIGINT  NOT NULL REFERENCES tenants (id),
    requester_id    BIGINT  NOT NULL REFERENCES customers (id),
    kind            TEXT    NOT NULL,
    target_uuid     TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    failure_code    TEXT,
    failure_message TEXT,
    created_ms      BIGINT  NOT NULL,
    finished_ms     BIGINT
);

-- API keys that act as a customer of the hierarchy (scope PARTNER).
CREATE TABLE api_key_customers (
    api_key_id  BIGINT  PRIMARY KEY REFERENCES api_keys (id),
    tenant_id   BIGINT  NOT NULL REFERENCES tenants (id),
    customer_id BIGINT  NOT NULL REFERENCES partner_customers (customer_id)
);
