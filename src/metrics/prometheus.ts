import type { Queryable } from "../db/database.js";

/** Seconds; from a minute to a day, the range review latencies live in. */
const LATENCY_BUCKETS = [60, 300, 900, 1800, 3600, 7200, 14_400, 28_800, 86_400];

type Labels = Record<string, string>;

/**
 * Appended to every family's HELP: these are counted in the shared database at scrape time, so
 * N replicas report N identical copies. Scrape one replica for them, or aggregate with max (never
 * sum) across instances; the process and HTTP families that follow are per process.
 */
const SHARED_NOTE =
  "Computed from the shared database at scrape time: every replica reports the same value.";

class Exposition {
  private readonly lines: string[] = [];

  family(name: string, type: "gauge" | "counter" | "histogram", help: string): void {
    this.lines.push(`# HELP ${name} ${help} ${SHARED_NOTE}`, `# TYPE ${name} ${type}`);
  }

  sample(name: string, labels: Labels, value: number): void {
    const body = Object.entries(labels)
      .map(
        ([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`,
      )
      .join(",");
    this.lines.push(`${name}${body ? `{${body}}` : ""} ${Number.isFinite(value) ? value : 0}`);
  }

  toString(): string {
    return `${this.lines.join("\n")}\n`;
  }
}

/** Cumulative histogram buckets from the raw durations, computed in SQL. */
async function histogramRows(db: Queryable, durationSql: string) {
  const buckets = LATENCY_BUCKETS.map(
    (le, i) => `count(*) FILTER (WHERE d <= ${le}) AS b${i}`,
  ).join(", ");
  const { rows } = await db.query<Record<string, string>>(
    `SELECT stage, ${buckets}, count(*) AS n, coalesce(sum(d), 0) AS total
     FROM (${durationSql}) x GROUP BY stage ORDER BY stage`,
  );
  return rows;
}

function histogram(
  out: Exposition,
  name: string,
  help: string,
  rows: Record<string, string>[],
): void {
  out.family(name, "histogram", help);
  for (const row of rows) {
    LATENCY_BUCKETS.forEach((le, i) =>
      out.sample(`${name}_bucket`, { stage: row.stage!, le: String(le) }, Number(row[`b${i}`])),
    );
    out.sample(`${name}_bucket`, { stage: row.stage!, le: "+Inf" }, Number(row.n));
    out.sample(`${name}_sum`, { stage: row.stage! }, Number(row.total));
    out.sample(`${name}_count`, { stage: row.stage! }, Number(row.n));
  }
}

/**
 * The database-derived metrics in Prometheus text format, computed at scrape time, so every API
 * process reports the same numbers however many there are. Names follow Prometheus conventions:
 * counters (monotonic: reviews are never deleted, decisions and escalations never undone) end in
 * `_total`, gauges do not, units are in the name (`_seconds`, `_ratio`).
 */
export async function renderMetrics(db: Queryable): Promise<string> {
  const out = new Exposition();

  // Independent reads, sent together: on a pool they run on several connections at once. Each is
  // answered from a partial index of its own (migration 0007), index-only where it can be.
  const [depth, toClaim, toDecision, escalations, decisions, threads, runs, outbox] =
    await Promise.all([
      db.query<{ stage: string; risk_tier: string; queue: string; n: string }>(
        `SELECT stage, risk_tier, queue, count(*) AS n FROM reviews WHERE status = 'pending'
         GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
      ),
      histogramRows(
        db,
        "SELECT stage, extract(epoch FROM first_claimed_at - created_at)::float8 AS d FROM reviews WHERE first_claimed_at IS NOT NULL",
      ),
      histogramRows(
        db,
        "SELECT stage, extract(epoch FROM decided_at - created_at)::float8 AS d FROM reviews WHERE decided_at IS NOT NULL",
      ),
      db.query<{ stage: string; risk_tier: string; n: string }>(
        `SELECT stage, risk_tier, count(*) AS n FROM reviews WHERE escalated_at IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2`,
      ),
      db.query<{ stage: string; decision_type: string; sla: boolean; n: string }>(
        `SELECT stage, decision_type, decided_by = 'system:sla' AS sla, count(*) AS n FROM reviews
         WHERE status = 'decided' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
      ),
      db.query<{ status: string; provenance: string | null; n: string }>(
        "SELECT status, provenance, count(*) AS n FROM threads GROUP BY 1, 2 ORDER BY 1, 2",
      ),
      db.query<{ status: string; n: string }>(
        "SELECT status, count(*) AS n FROM runs WHERE status IN ('queued', 'running') GROUP BY 1 ORDER BY 1",
      ),
      // Two counts, each on its partial index, rather than one pass over every event ever sent.
      db.query<{ pending: string; failed: string }>(
        `SELECT (SELECT count(*) FROM outbox WHERE delivered_at IS NULL AND failed_at IS NULL) AS pending,
                (SELECT count(*) FROM outbox WHERE failed_at IS NOT NULL) AS failed`,
      ),
    ]);

  out.family("signoff_review_queue_depth", "gauge", "Reviews waiting for a decision.");
  for (const r of depth.rows) {
    out.sample(
      "signoff_review_queue_depth",
      { stage: r.stage, risk_tier: r.risk_tier, queue: r.queue },
      Number(r.n),
    );
  }

  histogram(
    out,
    "signoff_review_time_to_claim_seconds",
    "From a review's creation to its first claim.",
    toClaim,
  );
  histogram(
    out,
    "signoff_review_time_to_decision_seconds",
    "From a review's creation to its decision.",
    toDecision,
  );

  out.family(
    "signoff_review_escalations_total",
    "counter",
    "Reviews escalated (overdue or disputed).",
  );
  for (const r of escalations.rows) {
    out.sample(
      "signoff_review_escalations_total",
      { stage: r.stage, risk_tier: r.risk_tier },
      Number(r.n),
    );
  }

  out.family(
    "signoff_review_decisions_total",
    "counter",
    "Review decisions by stage and type (by: human or sla).",
  );
  for (const r of decisions.rows) {
    out.sample(
      "signoff_review_decisions_total",
      { stage: r.stage, type: r.decision_type, by: r.sla ? "sla" : "human" },
      Number(r.n),
    );
  }

  out.family("signoff_threads", "gauge", "Threads by status and, once completed, provenance.");
  let completed = 0;
  let auto = 0;
  for (const r of threads.rows) {
    out.sample(
      "signoff_threads",
      { status: r.status, provenance: r.provenance ?? "" },
      Number(r.n),
    );
    if (r.status === "completed") completed += Number(r.n);
    if (r.status === "completed" && r.provenance === "auto") auto += Number(r.n);
  }
  out.family(
    "signoff_auto_answer_ratio",
    "gauge",
    "Share of completed threads answered with no human (provenance auto).",
  );
  out.sample("signoff_auto_answer_ratio", {}, completed ? auto / completed : 0);

  // Not "pending": a running run is held by a worker, so the status label says which it is.
  out.family(
    "signoff_runs",
    "gauge",
    "Runs in the durable queue by status (queued: waiting for a worker; running: held by one).",
  );
  for (const status of ["queued", "running"]) {
    out.sample(
      "signoff_runs",
      { status },
      Number(runs.rows.find((r) => r.status === status)?.n ?? 0),
    );
  }

  out.family(
    "signoff_webhook_events",
    "gauge",
    "Webhook events in the outbox by state (pending: not yet delivered; failed: given up).",
  );
  out.sample("signoff_webhook_events", { state: "pending" }, Number(outbox.rows[0]?.pending ?? 0));
  out.sample("signoff_webhook_events", { state: "failed" }, Number(outbox.rows[0]?.failed ?? 0));

  return out.toString();
}
