-- Idempotency keys for feedback are per caller, as for threads: two clients may pick the same
-- key without colliding. caller_id is the API key's id (names can be reused, ids cannot);
-- feedback written by the review workflow has none (it is keyed by review_id).
ALTER TABLE feedback ADD COLUMN caller_id text;
-- Existing keyed feedback gets the id of the key whose name is its actor (the active one, else
-- the newest), so a retry after the upgrade still finds it; open-mode feedback is 'anonymous'.
UPDATE feedback f SET caller_id = coalesce(
    (SELECT k.key_id::text FROM api_keys k WHERE k.name = f.actor
     ORDER BY k.revoked_at IS NULL DESC, k.created_at DESC LIMIT 1),
    'anonymous')
  WHERE idempotency_key IS NOT NULL;
ALTER TABLE feedback DROP CONSTRAINT feedback_idempotency_key_key;
ALTER TABLE feedback
  ADD CONSTRAINT feedback_caller_idempotency_key UNIQUE (caller_id, idempotency_key);
