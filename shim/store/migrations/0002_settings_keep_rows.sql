-- A reset setting keeps its row with value NULL, so its version never starts
-- over: an If-Match naming an old version can never match a newer value.
CREATE TABLE settings_next (
    name    TEXT PRIMARY KEY,
    value   TEXT,
    version BIGINT NOT NULL DEFAULT 1
);
INSERT INTO settings_next (name, value, version) SELECT name, value, version FROM settings;
DROP TABLE settings;
ALTER TABLE settings_next RENAME TO settings;
