-- Open development mode ends when any API key is made (src/auth/open-mode.ts). Every process
-- used to look at api_keys on every request to notice another process's new key; with this
-- notification (delivered on commit, over the listener of src/db/notifications.ts) it looks only
-- when it may have missed one: at start, and after its listener was away.
-- A trigger, not the application's INSERT: a key made by any means (`npm run keys`, SQL) counts.
CREATE FUNCTION signoff_notify_key_created() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('signoff_keys', '');
  RETURN NULL;
END
$$;

CREATE TRIGGER api_keys_notify_created AFTER INSERT ON api_keys
  FOR EACH STATEMENT EXECUTE FUNCTION signoff_notify_key_created();
