import type { Queryable } from "../db/database.js";
import { CHANNELS } from "../db/notifications.js";
import type { Lease } from "./runs.js";

/** One server-sent event of a run's stream, as stored (migration 0008). */
export interface RunEventRow {
  seq: number;
  event: string;
  /** The event's JSON, exactly as it goes on the wire. */
  data: string;
}

/** The last sequence number of a run's events (0 when it has none). */
export async function lastEventSeq(db: Queryable, runId: string): Promise<number> {
  const { rows } = await db.query<{ seq: number | null }>(
    "SELECT max(seq) AS seq FROM run_events WHERE run_id = $1",
    [runId],
  );
  return rows[0]?.seq ?? 0;
}

/**
 * Appends events in one statement, only while the lease holds: a worker that lost its run to
 * another writes nothing into that run's stream. False when the lease is gone.
 */
export async function appendRunEvents(
  db: Queryable,
  lease: Lease,
  events: RunEventRow[],
): Promise<boolean> {
  if (events.length === 0) return true;
  // One notification for the batch, in the same statement, and only when rows went in: streams
  // of the run in every process wake once it commits. Its row count says whether any did.
  const { rowCount } = await db.query(
    `WITH appended AS (
       INSERT INTO run_events (run_id, seq, event, data)
       SELECT $1, e.seq, e.event, e.data
       FROM unnest($4::int[], $5::text[], $6::text[]) AS e(seq, event, data)
       WHERE EXISTS (SELECT 1 FROM runs WHERE run_id = $1 AND worker_id = $2 AND attempts = $3
                     AND status = 'running')
       ON CONFLICT DO NOTHING
       RETURNING run_id)
     SELECT pg_notify('${CHANNELS.runEvents}', run_id::text) FROM appended LIMIT 1`,
    [
      lease.runId,
      lease.workerId,
      lease.attempt,
      events.map((e) => e.seq),
      events.map((e) => e.event),
      events.map((e) => e.data),
    ],
  );
  return (rowCount ?? 0) > 0;
}

/** Appends one event whoever holds the run (the worker recording a failure, a cancel). */
export async function appendRunEvent(
  db: Queryable,
  runId: string,
  event: Omit<RunEventRow, "seq">,
): Promise<void> {
  await db.query(
    `WITH appended AS (
       INSERT INTO run_events (run_id, seq, event, data)
       SELECT $1, coalesce(max(seq), 0) + 1, $2, $3 FROM run_events WHERE run_id = $1
       RETURNING run_id)
     SELECT pg_notify('${CHANNELS.runEvents}', run_id::text) FROM appended`,
    [runId, event.event, event.data],
  );
}

/** A run's events after `afterSeq`, oldest first. */
export async function runEventsAfter(
  db: Queryable,
  runId: string,
  afterSeq: number,
  limit = 500,
): Promise<RunEventRow[]> {
  const { rows } = await db.query<RunEventRow>(
    "SELECT seq, event, data FROM run_events WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
    [runId, afterSeq, limit],
  );
  return rows;
}

/** The run's last `values` or `error` event: what a client waiting on the run gets. */
export async function lastResultEvent(
  db: Queryable,
  runId: string,
): Promise<RunEventRow | undefined> {
  const { rows } = await db.query<RunEventRow>(
    `SELECT seq, event, data FROM run_events WHERE run_id = $1 AND event IN ('values', 'error')
     ORDER BY seq DESC LIMIT 1`,
    [runId],
  );
  return rows[0];
}
