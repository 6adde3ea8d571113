-- Written once for both SQLite and PostgreSQL.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL,
    enabled       BOOLEAN NOT NULL,
    password_hash TEXT NOT NULL,
    created       BIGINT NOT NULL,
    version       BIGINT NOT NULL DEFAULT 1,
    tf_doc        TEXT
);

CREATE TABLE tokens (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    secret        TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    ttl           BIGINT NOT NULL,
    ttl_requested BIGINT NOT NULL,
    created       BIGINT NOT NULL,
    expires       BIGINT,
    enabled       BOOLEAN NOT NULL,
    is_derived    BOOLEAN NOT NULL,
    cluster_id    TEXT NOT NULL DEFAULT '',
    auth_provider TEXT NOT NULL,
    last_used     BIGINT,
    last_activity BIGINT,
    uuid          TEXT NOT NULL,
    version       BIGINT NOT NULL DEFAULT 1,
    tf_doc        TEXT
);

CREATE INDEX tokens_by_user ON tokens (user_id, id);
CREATE INDEX tokens_by_expiry ON tokens (expires) WHERE expires IS NOT NULL;

CREATE TABLE settings (
    name    TEXT PRIMARY KEY,
    value   TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);

CREATE TABLE features (
    name  TEXT PRIMARY KEY,
    value BOOLEAN NOT NULL
);

-- Documents as the Terraform face last received them, for objects that are
-- not rows of their own (settings, token policies).
CREATE TABLE tf_docs (
    kind TEXT NOT NULL,
    id   TEXT NOT NULL,
    doc  TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
