-- Labels and annotations of a token, as Rancher's clients send them (rancher2_token):
-- JSON text {"labels": {...}, "annotations": {...}}; '' when the token has none.
ALTER TABLE tokens ADD COLUMN meta TEXT NOT NULL DEFAULT '';
