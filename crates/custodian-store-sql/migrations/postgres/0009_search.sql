-- Terms customers are found by (GET /api/v1/customers?search=): lower-case names, e-mail address,
-- phone digits and external customer numbers, one row each, matched by prefix through the index.
-- Written in the same transaction as the data they come from; `source` is the domain (or
-- `billing`) whose write replaces them.
CREATE TABLE customer_search_terms (
    tenant_id   BIGINT NOT NULL REFERENCES tenants (id),
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    source      TEXT   NOT NULL,
    term        TEXT COLLATE "C" NOT NULL
);
CREATE INDEX customer_search_terms_by_term ON customer_search_terms (tenant_id, term, customer_id);
CREATE INDEX customer_search_terms_by_customer ON customer_search_terms (customer_id, source);

-- One row once the terms of data written before this migration have been computed (at start-up).
CREATE TABLE customer_search_backfill (
    id INTEGER PRIMARY KEY
);
