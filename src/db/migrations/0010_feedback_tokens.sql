-- Secrets the app makes for itself when the operator sets none (the feedback tokens' HMAC key).
-- One row per name, written once by whichever process gets there first (INSERT … ON CONFLICT DO
-- NOTHING) and read by all, so every API process of a deployment signs and verifies alike, and a
-- restart keeps tokens already handed out valid.
CREATE TABLE app_secrets (
  name text PRIMARY KEY,
  value bytea NOT NULL CHECK (octet_length(value) >= 32),
  created_at timestamptz NOT NULL DEFAULT now()
);
