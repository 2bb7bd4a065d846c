-- The LangGraph Agent Protocol (src/protocol, mounted at /langgraph) on the same tables.

-- A protocol client creates a thread first and sends its question with the first run, so a
-- thread can exist without one: 'idle', question ''. A cancelled run leaves its thread 'idle'.
ALTER TABLE threads DROP CONSTRAINT threads_status_check;
ALTER TABLE threads ADD CONSTRAINT threads_status_check
  CHECK (status IN ('idle', 'queued', 'running', 'awaiting_review', 'completed', 'failed'));
-- POST /langgraph/threads/search filters and sorts by these.
CREATE INDEX threads_updated_idx ON threads (updated_at DESC, thread_id);
CREATE INDEX threads_status_updated_idx ON threads (status, updated_at DESC, thread_id);

-- A run's protocol side: what its client streams (NULL: nobody streams it, so the worker
-- writes no events and the run costs what it did before), its metadata, and cancellation.
ALTER TABLE runs ADD COLUMN stream_modes text[];
ALTER TABLE runs ADD COLUMN metadata jsonb NOT NULL DEFAULT '{}';
-- The run's own graph settings (Studio's context form), over the deployment's.
ALTER TABLE runs ADD COLUMN context jsonb;
-- The graph input a protocol client sent, given to the graph as it is (`{messages}` too), so the
-- thread's state is what the same input gives on any LangGraph server. NULL: the thread's question.
ALTER TABLE runs ADD COLUMN input jsonb;
-- A cancelled run is 'failed' for good with cancelled_at set, so retention and the indexes on
-- finished runs treat it as any other finished run.
ALTER TABLE runs ADD COLUMN cancelled_at timestamptz;

-- What a streamed run produced, in order: any API process serves any run's stream from here,
-- and a client that dropped rejoins after the last event id it saw. `data` is the event's JSON
-- as sent (text, not jsonb: jsonb would reorder its keys). Deleted with the run (retention).
CREATE TABLE run_events (
  run_id uuid NOT NULL REFERENCES runs ON DELETE CASCADE,
  seq integer NOT NULL,
  event text NOT NULL,
  data text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, seq)
);
