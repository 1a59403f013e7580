-- Staff console: staff accounts per tenant (argon2 password hashes, sign-in throttling) and
-- server-side sessions. A session is found by the SHA-256 of its token; the token itself lives
-- only in the browser's cookie.

CREATE TABLE staff_users (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id        INTEGER NOT NULL REFERENCES tenants (id),
    username         TEXT    NOT NULL,
    role             TEXT    NOT NULL,
    password_hash    TEXT    NOT NULL,
    failed_logins    INTEGER NOT NULL DEFAULT 0,
    locked_until_ms  INTEGER,
    created_ms       INTEGER NOT NULL,
    updated_ms       INTEGER NOT NULL
);
CREATE UNIQUE INDEX staff_users_login ON staff_users (tenant_id, username);

CREATE TABLE staff_sessions (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash     TEXT    NOT NULL UNIQUE,
    tenant_id      INTEGER NOT NULL REFERENCES tenants (id),
    staff_user_id  INTEGER NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
    csrf_token     TEXT    NOT NULL,
    created_ms     INTEGER NOT NULL,
    expires_ms     INTEGER NOT NULL
);
CREATE INDEX staff_sessions_expiry ON staff_sessions (expires_ms);
CREATE INDEX staff_sessions_by_user ON staff_sessions (staff_user_id);
