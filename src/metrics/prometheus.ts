import type { Queryable } from "../db/database.js";
import type { Thresholds } from "../evals/runner-record.js";
import { reviewCounts, type CountFamily, type CountRow } from "../repositories/review-counts.js";
import { findActiveThresholds } from "../repositories/threshold-versions.js";
import { liveGateRate } from "../services/thresholds.js";

/** The live loop's families: the window and confidence of the live rate, and the env defaults. */
export interface LiveGateMetricsOptions {
  windowDays: number;
  confidence: number;
  defaults: Thresholds;
}

/**
 * Seconds; from a minute to a day, the range review latencies live in. The same buckets are in
 * migration 0009's review_latency_bucket(), which files each duration under one of them.
 */
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

/**
 * A histogram family from the kept per-bucket counts (migration 0009 stores each duration under
 * the smallest `le` it fits, "+Inf" past the last): buckets made cumulative here, by stage.
 */
function histogram(out: Exposition, name: string, help: string, rows: CountRow[]): void {
  out.family(name, "histogram", help);
  const stages = new Map<string, { le: Map<string, number>; n: number; total: number }>();
  for (const row of rows) {
    const stage = stages.get(row.key1) ?? { le: new Map<string, number>(), n: 0, total: 0 };
    stage.le.set(row.key2, row.n);
    stage.n += row.n;
    stage.total += row.seconds;
    stages.set(row.key1, stage);
  }
  for (const [stage, { le: perBucket, n, total }] of stages) {
    let cumulative = 0;
    for (const le of LATENCY_BUCKETS) {
      cumulative += perBucket.get(String(le)) ?? 0;
      out.sample(`${name}_bucket`, { stage, le: String(le) }, cumulative);
    }
    out.sample(`${name}_bucket`, { stage, le: "+Inf" }, n);
    out.sample(`${name}_sum`, { stage }, total);
    out.sample(`${name}_count`, { stage }, n);
  }
}

/**
 * The database-derived metrics in Prometheus text format, computed at scrape time, so every API
 * process reports the same numbers however many there are. Names follow Prometheus conventions:
 * counters (monotonic: reviews are never deleted, decisions and escalations never undone) end in
 * `_total`, gauges do not, units are in the name (`_seconds`, `_ratio`).
 */
export async function renderMetrics(db: Queryable, live?: LiveGateMetricsOptions): Promise<string> {
  const out = new Exposition();

  // Independent reads, sent together: on a pool they run on several connections at once. The
  // review and thread families are counts kept by triggers (migration 0009), a few hundred rows
  // however many reviews there are; runs and the outbox are counted over their partial indexes,
  // which hold only what is in flight (queued or running runs, undelivered or failed events).
  // The live loop's: the kept daily label counts (migration 0011, days × tiers rows) and the
  // active version, an index seek.
  const [counts, runs, outbox, liveRate, active] = await Promise.all([
    reviewCounts(db),
    db.query<{ status: string; n: string }>(
      "SELECT status, count(*) AS n FROM runs WHERE status IN ('queued', 'running') GROUP BY 1 ORDER BY 1",
    ),
    // Two counts, each on its partial index, rather than one pass over every event ever sent.
    db.query<{ pending: string; failed: string }>(
      `SELECT (SELECT count(*) FROM outbox WHERE delivered_at IS NULL AND failed_at IS NULL) AS pending,
              (SELECT count(*) FROM outbox WHERE failed_at IS NOT NULL) AS failed`,
    ),
    live ? liveGateRate(db, live.windowDays, live.confidence) : undefined,
    live ? findActiveThresholds(db) : undefined,
  ]);
  const family = (name: CountFamily) => counts.filter((r) => r.family === name);

  out.family("signoff_review_queue_depth", "gauge", "Reviews waiting for a decision.");
  for (const r of family("pending")) {
    out.sample(
      "signoff_review_queue_depth",
      { stage: r.key1, risk_tier: r.key2, queue: r.key3 },
      r.n,
    );
  }

  histogram(
    out,
    "signoff_review_time_to_claim_seconds",
    "From a review's creation to its first claim.",
    family("claim_latency"),
  );
  histogram(
    out,
    "signoff_review_time_to_decision_seconds",
    "From a review's creation to its decision.",
    family("decision_latency"),
  );

  out.family(
    "signoff_review_escalations_total",
    "counter",
    "Reviews escalated (overdue or disputed).",
  );
  for (const r of family("escalated")) {
    out.sample("signoff_review_escalations_total", { stage: r.key1, risk_tier: r.key2 }, r.n);
  }

  out.family(
    "signoff_review_decisions_total",
    "counter",
    "Review decisions by stage and type (by: human or sla).",
  );
  for (const r of family("decided")) {
    out.sample("signoff_review_decisions_total", { stage: r.key1, type: r.key2, by: r.key3 }, r.n);
  }

  out.family("signoff_threads", "gauge", "Threads by status and, once completed, provenance.");
  let completed = 0;
  let auto = 0;
  for (const r of family("threads")) {
    out.sample("signoff_threads", { status: r.key1, provenance: r.key2 }, r.n);
    if (r.key1 === "completed") completed += r.n;
    if (r.key1 === "completed" && r.key2 === "auto") auto += r.n;
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

  if (live && liveRate) {
    const window = `over the last ${live.windowDays} days`;
    const labelled = `audit samples and users' first ratings of automatic answers (1-2 wrong)`;
    out.family(
      "signoff_gate_wrong_auto_answer_ratio",
      "gauge",
      `Live wrong-automatic-answer rate by risk tier ${window}, from ${labelled}.`,
    );
    for (const t of liveRate.tiers) {
      out.sample("signoff_gate_wrong_auto_answer_ratio", { risk_tier: t.risk_tier }, t.rate ?? 0);
    }
    for (const [suffix, bound] of [
      ["lower", "lower"],
      ["upper", "upper"],
    ] as const) {
      const name = `signoff_gate_wrong_auto_answer_ratio_${suffix}`;
      out.family(
        name,
        "gauge",
        `The ${bound} end of the live rate's two-sided Clopper-Pearson interval at ${live.confidence} confidence.`,
      );
      for (const t of liveRate.tiers) out.sample(name, { risk_tier: t.risk_tier }, t[bound]);
    }
    out.family(
      "signoff_gate_labelled_auto_answers",
      "gauge",
      `Labelled automatic answers behind the live rate ${window}, by source (audit, feedback).`,
    );
    for (const t of liveRate.tiers) {
      for (const source of ["audit", "feedback"] as const) {
        out.sample(
          "signoff_gate_labelled_auto_answers",
          { risk_tier: t.risk_tier, source },
          t[source].trials,
        );
      }
    }
    out.family(
      "signoff_gate_threshold_version",
      "gauge",
      "The active gate threshold version (0: none active, the environment's thresholds apply).",
    );
    out.sample("signoff_gate_threshold_version", {}, active?.version ?? 0);
    out.family("signoff_gate_threshold", "gauge", "The gate thresholds in force, by gate.");
    out.sample(
      "signoff_gate_threshold",
      { gate: "retrieval" },
      active?.retrieval_threshold ?? live.defaults.retrieval,
    );
    out.sample(
      "signoff_gate_threshold",
      { gate: "judge" },
      active?.judge_threshold ?? live.defaults.judge,
    );
  }

  return out.toString();
}
