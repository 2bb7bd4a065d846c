-- Idempotency keys for feedback are per caller, as for threads: two clients may pick the same
-- key without colliding. caller_id is the API key's id (names can be reused, ids cannot);
-- feedback written by the review workflow has none (it is keyed by review_id).
ALTER TABLE feedback ADD COLUMN caller_id text;
UPDATE feedback SET caller_id = 'anonymous' WHERE idempotency_key IS NOT NULL;
ALTER TABLE feedback DROP CONSTRAINT feedback_idempotency_key_key;
ALTER TABLE feedback
  ADD CONSTRAINT feedback_caller_idempotency_key UNIQUE (caller_id, idempotency_key);
