-- Login throttle scores shared by the replicas of one PostgreSQL database
-- (SQLite has the table too but keeps them in memory: one process owns it).
-- `forget`: from then on the row means nothing and may be deleted.
CREATE TABLE login_throttle (
    key      TEXT PRIMARY KEY,
    failures DOUBLE PRECISION NOT NULL,
    at       BIGINT NOT NULL,
    until    BIGINT NOT NULL,
    forget   BIGINT NOT NULL
);

-- A user created with mustChangePassword may only change their password until they do.
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;
