import { openDatabase } from "../db/database.js";
import type { Env } from "../env.js";
import { findActiveThresholds } from "../repositories/threshold-versions.js";
import { liveGateRate, type LiveGateRate } from "../services/thresholds.js";
import type { Thresholds } from "./runner-record.js";
import { esc } from "./report-svg.js";
import { pct } from "./report-text.js";

/**
 * The eval report's live-rate section (`npm run evals -- --live`): what the gates let through in
 * production, from the service's own database, beside what the dataset predicts.
 */
export interface LiveSection extends LiveGateRate {
  /** Where it was read from (the database's description, no credentials). */
  database: string;
  active_version: number | null;
  /** The thresholds in force there: the active version's, else the environment's. */
  thresholds: Thresholds;
}

/**
 * Reads the live rate from the service's database (DATABASE_URL, or the embedded one under
 * DATA_DIR): read only, it migrates nothing. The embedded database cannot be open in two
 * processes, so stop the server first or point DATABASE_URL at the real one.
 */
export async function readLiveSection(env: Env): Promise<LiveSection> {
  const db = await openDatabase({ url: env.DATABASE_URL, poolSize: 1, dataDir: env.DATA_DIR });
  try {
    const live = await liveGateRate(db.pool, env.GATE_LIVE_WINDOW_DAYS, env.GATE_LIVE_CONFIDENCE);
    const active = await findActiveThresholds(db.pool);
    return {
      ...live,
      database: db.description,
      active_version: active?.version ?? null,
      thresholds: active
        ? { retrieval: active.retrieval_threshold, judge: active.judge_threshold }
        : { retrieval: env.RETRIEVAL_THRESHOLD, judge: env.JUDGE_THRESHOLD },
    };
  } finally {
    await db.close();
  }
}

const version = (live: LiveSection) =>
  live.active_version === null
    ? "no version active (environment)"
    : `version ${live.active_version}`;

/** The section as `npm run evals` prints it. */
export function formatLiveSection(live: LiveSection): string {
  const head =
    `  live (${live.database}, last ${live.window_days} days, ${version(live)}: retrieval ` +
    `${live.thresholds.retrieval}, judge ${live.thresholds.judge}): wrong automatic answers`;
  if (live.tiers.length === 0) return `${head}: no labelled automatic answers yet`;
  const tiers = live.tiers.map(
    (t) =>
      `    ${t.risk_tier}: ${t.wrong}/${t.trials} (${pct(t.rate)}; ${pct(t.lower)} to ${pct(t.upper)} at ` +
      `${live.confidence * 100}%), audit ${t.audit.wrong}/${t.audit.trials}, feedback ${t.feedback.wrong}/${t.feedback.trials}`,
  );
  return [`${head}:`, ...tiers].join("\n");
}

/** The section of report.html. */
export function liveHtml(live: LiveSection | null): string {
  if (!live) {
    return `<h2>Live wrong-automatic-answer rate</h2><p class="defs">Not read: run <code>npm run evals -- --live</code> to add what the gates let through in production (audit samples and users' ratings from the service's database).</p>`;
  }
  const rows = live.tiers
    .map(
      (t) =>
        `<tr><td>${esc(t.risk_tier)}</td><td class="n">${t.wrong}/${t.trials}</td><td class="n">${pct(t.rate)}</td>` +
        `<td class="n">${pct(t.lower)} – ${pct(t.upper)}</td><td class="n">${t.audit.wrong}/${t.audit.trials}</td>` +
        `<td class="n">${t.feedback.wrong}/${t.feedback.trials}</td></tr>`,
    )
    .join("\n");
  return `<h2>Live wrong-automatic-answer rate</h2>
<p class="defs">From <code>${esc(live.database)}</code>, the last ${live.window_days} days, gated by ${esc(version(live))} (retrieval ${live.thresholds.retrieval}, judge ${live.thresholds.judge}). Audit samples (answers that passed every gate, reviewed at random) are the unbiased labels: wrong unless approved as they were. Users' first ratings of automatic answers count too (1–2 wrong), but users choose what they rate. Interval: two-sided Clopper–Pearson at ${live.confidence * 100}%.</p>
<table>
<thead><tr><th>risk tier</th><th>wrong / labelled</th><th>rate</th><th>interval</th><th>audit</th><th>feedback</th></tr></thead>
<tbody>
${rows || `<tr><td colspan="6">no labelled automatic answers yet</td></tr>`}
</tbody>
</table>`;
}
