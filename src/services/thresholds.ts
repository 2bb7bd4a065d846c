import type pg from "pg";
import { withTransaction, type Queryable } from "../db/database.js";
import { certify, type CalibrationCase, type Certification } from "../evals/calibration.js";
import { clopperPearsonInterval } from "../evals/clopper-pearson.js";
import type { Thresholds } from "../evals/runner-record.js";
import type { RiskTier } from "../graph/policy.js";
import {
  appendAuditEvent,
  auditEventsOf,
  type AuditEventRow,
} from "../repositories/audit-events.js";
import { gateLiveCounts } from "../repositories/gate-live-counts.js";
import { thresholdLabels, type ThresholdLabel } from "../repositories/threshold-labels.js";
import {
  decideProposal,
  findActiveThresholds,
  findProposalByIdempotencyKey,
  findThresholdVersion,
  insertProposal,
  listThresholdVersions,
  lockThresholdDecisions,
  supersedeActive,
  type ThresholdVersionRow,
} from "../repositories/threshold-versions.js";
import type { RunSignals } from "../runs/thread-events.js";
import { InvalidInputError, notFound } from "./errors.js";
import {
  approveVersion,
  rejectVersion,
  type VersionDecision,
  type VersionStore,
} from "./versioned.js";

/** What the threshold services need. */
export interface ThresholdServiceDeps {
  pool: pg.Pool;
  /** Told after an approval commits, so this process's next run reads the new version. */
  signals?: RunSignals;
  /** The environment's thresholds: in force while no version is active. */
  defaults: Thresholds;
}

const AUDIT_SUBJECT = "gate_thresholds";

export const PROPOSAL_DEFAULTS = { window_days: 30, target: 0.02, confidence: 0.95, step: 0.01 };

export interface ProposalRequest {
  window_days?: number;
  target?: number;
  confidence?: number;
  step?: number;
  /** A pair to propose instead of the certified one; the evidence is computed for it all the same. */
  thresholds?: Thresholds;
  comment?: string;
}

/** The thresholds in force now: the active version's, else the environment's. */
export async function currentThresholds(
  deps: ThresholdServiceDeps,
): Promise<{ version: ThresholdVersionRow | null; thresholds: Thresholds }> {
  const active = await findActiveThresholds(deps.pool);
  return {
    version: active ?? null,
    thresholds: active
      ? { retrieval: active.retrieval_threshold, judge: active.judge_threshold }
      : deps.defaults,
  };
}

/** A label as a calibration case: the audit draw is independent of the thresholds, so left out. */
function caseOf(label: ThresholdLabel): CalibrationCase {
  return {
    id: `${label.source}:${label.id}`,
    retrieval_score: label.retrieval_score,
    judge:
      label.judge_score === null ? null : { score: label.judge_score, flags: label.judge_flags },
    risk_tier: (label.risk_tier as RiskTier | null) ?? null,
    audit_sample: false,
    acceptable_unreviewed: label.acceptable,
  };
}

/** The proposal's evidence: what it rests on, small enough to read in a listing. */
export interface ProposalEvidence {
  window_days: number;
  labels: { review: number; audit: number; feedback: number; wrong: number };
  /** Thresholds in force when proposed, and the version they came from (null: environment). */
  current: Thresholds;
  current_version: number | null;
  /** certified: the calibration's recommendation; manual: a pair the proposer named. */
  basis: "certified" | "manual";
  comment: string | null;
  certification: Certification;
  /** Per tier, the proposed pair on the window's labels: bound, n, k, review share. */
  proposed: {
    tier: string;
    automatic: number;
    wrong: number;
    bound: number;
    review_share: number;
    meets_target: boolean;
  }[];
}

/**
 * Computes a proposal from the window's human labels with the certifying calibration
 * (src/evals/calibration.ts) and stores it as `proposed`: it gates nothing until approved.
 * Without `thresholds` it proposes the certified pair, or refuses (422) when none is certified.
 */
export async function proposeThresholds(
  deps: ThresholdServiceDeps,
  request: ProposalRequest,
  actor: { name: string },
  idempotencyKey?: string,
): Promise<{ version: ThresholdVersionRow; created: boolean }> {
  if (idempotencyKey) {
    const earlier = await findProposalByIdempotencyKey(deps.pool, actor.name, idempotencyKey);
    if (earlier) return { version: earlier, created: false };
  }
  const options = { ...PROPOSAL_DEFAULTS, ...definedOf(request) };
  const { version: active, thresholds: current } = await currentThresholds(deps);
  const labels = await thresholdLabels(deps.pool, options.window_days);
  const cases = labels.map(caseOf);
  const certification = certify(cases, {
    target: options.target,
    confidence: options.confidence,
    step: options.step,
    current: request.thresholds ?? current,
  });
  const proposedPair = request.thresholds ?? certification.recommended;
  const counts = { review: 0, audit: 0, feedback: 0, wrong: 0 };
  for (const l of labels) {
    counts[l.source]++;
    if (!l.acceptable) counts.wrong++;
  }
  if (!proposedPair) {
    throw new InvalidInputError(
      "not_certified",
      cases.length === 0
        ? `no human labels in the last ${options.window_days} days to calibrate on`
        : `no thresholds are certified at ${options.target} with ${options.confidence} confidence on ${cases.length} labels`,
      { labels: counts, certification },
    );
  }
  // `current` of each tier is the proposed pair when one was named; else read the certified one.
  const proposed = certification.tiers.map((t) => {
    const p = request.thresholds ? t.current : (t.certified ?? t.current);
    return {
      tier: t.tier,
      automatic: p.automatic,
      wrong: p.wrong,
      bound: p.bound,
      review_share: p.review_share,
      meets_target: p.automatic === 0 || p.bound <= options.target,
    };
  });
  const evidence: ProposalEvidence = {
    window_days: options.window_days,
    labels: counts,
    current,
    current_version: active?.version ?? null,
    basis: request.thresholds ? "manual" : "certified",
    comment: request.comment ?? null,
    certification,
    proposed,
  };
  return withTransaction(deps.pool, async (tx) => {
    const row = await insertProposal(tx, {
      retrieval_threshold: proposedPair.retrieval,
      judge_threshold: proposedPair.judge,
      evidence,
      proposed_by: actor.name,
      idempotency_key: idempotencyKey,
    });
    if (!row) {
      // The same key won a race with this request: its proposal stands.
      const earlier = await findProposalByIdempotencyKey(tx, actor.name, idempotencyKey!);
      return { version: earlier!, created: false };
    }
    await appendAuditEvent(tx, {
      subject: AUDIT_SUBJECT,
      subject_id: row.version_id,
      type: "proposed",
      actor: actor.name,
      after: {
        version: row.version,
        status: row.status,
        thresholds: proposedPair,
        basis: evidence.basis,
      },
    });
    return { version: row, created: true };
  });
}

const definedOf = (request: ProposalRequest) =>
  Object.fromEntries(
    Object.entries({
      window_days: request.window_days,
      target: request.target,
      confidence: request.confidence,
      step: request.step,
    }).filter(([, v]) => v !== undefined),
  ) as Partial<typeof PROPOSAL_DEFAULTS>;

const pairOf = (row: ThresholdVersionRow): Thresholds => ({
  retrieval: row.retrieval_threshold,
  judge: row.judge_threshold,
});

export type ThresholdDecisionResult = VersionDecision<ThresholdVersionRow>;

/** Threshold versions for the shared approve/reject steps (src/services/versioned.ts). */
const thresholdStore = (defaults: Thresholds): VersionStore<ThresholdVersionRow> => ({
  subject: AUDIT_SUBJECT,
  noun: "threshold version",
  describe: (row) => `threshold version ${row.version}`,
  conflictCode: "threshold_version_decided",
  lock: lockThresholdDecisions,
  find: findThresholdVersion,
  supersedeActive: (tx) => supersedeActive(tx),
  decide: decideProposal,
  contents: (row) => ({ thresholds: row ? pairOf(row) : defaults }),
});

/**
 * Approves a proposal: it becomes the one active version and gates every run that starts after
 * this commits (in every process: NOTIFY). Approvals and rejections are serialized by an
 * advisory lock, so concurrent approvals leave one version active (the last to commit) and the
 * others superseded. Approving the active version again changes nothing.
 */
export async function approveThresholds(
  deps: ThresholdServiceDeps,
  versionId: string,
  actor: { name: string },
  comment?: string,
): Promise<ThresholdDecisionResult> {
  const result = await approveVersion(
    deps.pool,
    thresholdStore(deps.defaults),
    versionId,
    actor,
    comment,
  );
  if (result.changed) deps.signals?.thresholdsChanged();
  return result;
}

/** Rejects a proposal; it never gates anything. Rejecting it again changes nothing. */
export async function rejectThresholds(
  deps: ThresholdServiceDeps,
  versionId: string,
  actor: { name: string },
  comment?: string,
): Promise<ThresholdDecisionResult> {
  return rejectVersion(deps.pool, thresholdStore(deps.defaults), versionId, actor, comment);
}

export async function listThresholds(
  deps: ThresholdServiceDeps,
  limit: number,
): Promise<{
  active: ThresholdVersionRow | null;
  defaults: Thresholds;
  versions: ThresholdVersionRow[];
}> {
  const versions = await listThresholdVersions(deps.pool, limit);
  const active = await findActiveThresholds(deps.pool);
  return { active: active ?? null, defaults: deps.defaults, versions };
}

/** A version and its audit trail. */
export async function thresholdVersion(
  deps: ThresholdServiceDeps,
  versionId: string,
): Promise<{ version: ThresholdVersionRow; events: AuditEventRow[] }> {
  const row = await findThresholdVersion(deps.pool, versionId);
  if (!row) throw notFound("threshold version", versionId);
  return { version: row, events: await auditEventsOf(deps.pool, AUDIT_SUBJECT, versionId) };
}

// ------------------------------------------------------------------------------------------
// The live rate

export interface LiveTierRate {
  risk_tier: string;
  /** Labelled automatic answers (n) and the wrong ones (k), by source and together. */
  audit: { trials: number; wrong: number };
  feedback: { trials: number; wrong: number };
  trials: number;
  wrong: number;
  /** k / n; null with no label. */
  rate: number | null;
  lower: number;
  upper: number;
}

export interface LiveGateRate {
  window_days: number;
  confidence: number;
  tiers: LiveTierRate[];
}

/**
 * The live wrong-automatic-answer rate per risk tier over the last `windowDays` days, with a
 * two-sided Clopper–Pearson interval: audit samples (the unbiased labels of what the gates let
 * through) and users' first ratings of automatic answers (1–2 wrong), from the kept counts.
 * Ratings are self-selected (unhappy users rate more often), so both sources are also reported
 * apart: the audit-only figure is the unbiased one.
 */
export async function liveGateRate(
  db: Queryable,
  windowDays: number,
  confidence: number,
): Promise<LiveGateRate> {
  const counts = await gateLiveCounts(db, windowDays);
  const tiers = new Map<string, LiveTierRate>();
  for (const c of counts) {
    let tier = tiers.get(c.risk_tier);
    if (!tier) {
      tier = {
        risk_tier: c.risk_tier,
        audit: { trials: 0, wrong: 0 },
        feedback: { trials: 0, wrong: 0 },
        trials: 0,
        wrong: 0,
        rate: null,
        lower: 0,
        upper: 1,
      };
      tiers.set(c.risk_tier, tier);
    }
    tier[c.source] = { trials: c.trials, wrong: c.wrong };
    tier.trials += c.trials;
    tier.wrong += c.wrong;
  }
  for (const tier of tiers.values()) {
    Object.assign(tier, clopperPearsonInterval(tier.wrong, tier.trials, confidence));
  }
  return { window_days: windowDays, confidence, tiers: [...tiers.values()] };
}
