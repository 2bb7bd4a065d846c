-- A `metrics` role for Prometheus scrapers: a key that reads /metrics and nothing else, so the
-- scraper no longer holds an admin key. 0002 declared the CHECK inline, so Postgres named it
-- api_keys_role_check. No IF EXISTS: if it was renamed, failing here beats keeping a second
-- CHECK that would still refuse 'metrics'.
ALTER TABLE api_keys DROP CONSTRAINT api_keys_role_check;
ALTER TABLE api_keys
  ADD CONSTRAINT api_keys_role_check CHECK (role IN ('client', 'reviewer', 'admin', 'metrics'));
