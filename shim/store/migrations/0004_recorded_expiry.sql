-- A session refused as expired or idle stays dead, whatever the settings say later:
-- the time it was refused is recorded here (NULL while it lives).
ALTER TABLE tokens ADD COLUMN expired_at BIGINT;
CREATE INDEX tokens_dead ON tokens (expired_at) WHERE expired_at IS NOT NULL;
-- The purge also finds sessions dead under the current session and idle settings.
CREATE INDEX tokens_sessions_by_created ON tokens (created) WHERE kind = 'session';
CREATE INDEX tokens_sessions_by_activity ON tokens (last_activity) WHERE kind = 'session';
