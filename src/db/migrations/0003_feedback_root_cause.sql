-- A reviewer's tag for why the item needed fixing; feeds the eval datasets.
ALTER TABLE feedback ADD COLUMN root_cause text
  CHECK (root_cause IN ('retrieval_miss', 'unfaithful_generation', 'judge_error', 'policy'));
