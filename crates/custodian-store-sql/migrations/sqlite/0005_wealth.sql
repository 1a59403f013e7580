-- Wealth management (SQLite): customers' wealth profiles and KYC records, persons and their
-- relations to customers, contact details, addresses, and service users' consents. Documents are
-- TEXT JSON in the OpenWealth shape; timestamps are INTEGER epoch milliseconds.

CREATE TABLE wealth_persons (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    data        TEXT    NOT NULL,
    created_ms  INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL
);
CREATE INDEX wealth_persons_by_tenant ON wealth_persons (tenant_id, id);

CREATE TABLE wealth_profiles (
    customer_id       INTEGER PRIMARY KEY REFERENCES customers (id),
    tenant_id         INTEGER NOT NULL REFERENCES tenants (id),
    profile           TEXT    NOT NULL,
    kyc               TEXT    NOT NULL,
    -- A person is the primary person of at most one customer.
    primary_person_id INTEGER NOT NULL UNIQUE REFERENCES wealth_persons (id),
    created_ms        INTEGER NOT NULL,
    updated_ms        INTEGER NOT NULL
);
CREATE INDEX wealth_profiles_by_tenant ON wealth_profiles (tenant_id, customer_id);

CREATE TABLE wealth_person_customers (
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    person_id   INTEGER NOT NULL REFERENCES wealth_persons (id),
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    relation    TEXT    NOT NULL,
    PRIMARY KEY (person_id, customer_id, relation)
);
CREATE INDEX wealth_person_customers_by_customer ON wealth_person_customers (tenant_id, customer_id, person_id);

CREATE TABLE wealth_contact_details (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    person_id   INTEGER NOT NULL REFERENCES wealth_persons (id),
    data        TEXT    NOT NULL,
    created_ms  INTEGER NOT NULL
);
CREATE INDEX wealth_contact_details_by_person ON wealth_contact_details (tenant_id, person_id, id);

CREATE TABLE wealth_addresses (
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    number      INTEGER NOT NULL,
    data        TEXT    NOT NULL,
    created_ms  INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL,
    PRIMARY KEY (customer_id, number)
);

CREATE TABLE wealth_consents (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id    INTEGER NOT NULL REFERENCES tenants (id),
    customer_id  INTEGER NOT NULL REFERENCES customers (id),
    service_user TEXT    NOT NULL,
    granted_by   TEXT    NOT NULL,
    granted_ms   INTEGER NOT NULL,
    revoked_by   TEXT,
    revoked_ms   INTEGER
);
-- At most one live consent per customer and service user, enforced here (also under races).
CREATE UNIQUE INDEX wealth_consents_one_live ON wealth_consents (tenant_id, customer_id, service_user) WHERE revoked_ms IS NULL;
CREATE INDEX wealth_consents_by_service_user ON wealth_consents (tenant_id, service_user, customer_id) WHERE revoked_ms IS NULL;
