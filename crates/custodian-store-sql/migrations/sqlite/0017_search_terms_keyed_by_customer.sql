-- The search terms become a WITHOUT ROWID table keyed by what a write looks them up and replaces
-- them by (customer, source, term), instead of a rowid table with two indexes. A change of a
-- customer's terms found the rows through the by-customer index and then read and deleted each
-- through its rowid, and every term was three b-tree entries (the row and two index entries):
-- now it is two (the key and the by-term index entry), and the by-customer index is gone.
-- Terms are a set per customer and source (`custodian_domain::search::terms` removes repeats),
-- so a repeat left by an older version is dropped here. On SQLite only: PostgreSQL's table is a
-- heap either way. Upgrading copies the table once: on the 2-core reference machine the first
-- start after it took 28.9 s for 1,000,000 customers' 8,000,000 terms, the WAL grew to 960 MB
-- until the server stopped, and the file keeps the old table's pages as free space (2.33 -> 2.61 GB).
CREATE TABLE customer_search_terms_keyed (
    tenant_id   INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    source      TEXT    NOT NULL,
    term        TEXT    NOT NULL,
    PRIMARY KEY (customer_id, source, term)
) WITHOUT ROWID;
INSERT OR IGNORE INTO customer_search_terms_keyed (tenant_id, customer_id, source, term)
    SELECT tenant_id, customer_id, source, term FROM customer_search_terms ORDER BY customer_id, source, term;
DROP TABLE customer_search_terms;
ALTER TABLE customer_search_terms_keyed RENAME TO customer_search_terms;
CREATE INDEX customer_search_terms_by_term ON customer_search_terms (tenant_id, term, customer_id);
