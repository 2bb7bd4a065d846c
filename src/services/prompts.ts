import { createTwoFilesPatch } from "diff";
import type pg from "pg";
import { withTransaction, type Queryable } from "../db/database.js";
import { loadDataset } from "../evals/dataset.js";
import type { Thresholds } from "../evals/runner-record.js";
import type { GraphContext } from "../graph/configuration.js";
import { dryRun, sampleCases, type DryRunResult } from "../prompts/dry-run.js";
import {
  BUILT_IN_TEMPLATES,
  parseGeneratorTemplate,
  parseJudgeTemplate,
  PromptTemplateError,
  TEMPLATE_NAMES,
  validateTemplate,
  type PromptSet,
  type TemplateName,
} from "../prompts/template.js";
import {
  appendAuditEvent,
  auditEventsOf,
  type AuditEventRow,
} from "../repositories/audit-events.js";
import {
  decidePromptProposal,
  findActivePrompts,
  findPromptProposalByIdempotencyKey,
  findPromptVersion,
  insertPromptProposal,
  listPromptVersions,
  lockPromptVersions,
  recordDryRun,
  seedPromptVersion,
  supersedeActivePrompt,
  type PromptVersionRow,
} from "../repositories/prompt-versions.js";
import { readActivePrompts } from "../runs/active-prompts.js";
import type { RunSignals } from "../runs/thread-events.js";
import { ConflictError, InvalidInputError, notFound } from "./errors.js";
import {
  approveVersion,
  rejectVersion,
  type VersionDecision,
  type VersionStore,
} from "./versioned.js";

/** What the prompt services need. */
export interface PromptServiceDeps {
  pool: pg.Pool;
  /** Told after an approval commits, so this process's next run reads the new version. */
  signals?: RunSignals;
  /** The deployment's providers, policy and settings: what a dry run runs the graph with. */
  context: GraphContext;
  /** The gate thresholds in force (the active version's, else the environment's). */
  thresholds?: () => Promise<Thresholds>;
  dryRun: { dataset: string; sample: number };
}

const AUDIT_SUBJECT = "prompt_templates";
const SEEDED_BY = "system:built-in";

/** Seeds version 1 of each template from the built-in text where the template has none yet. */
export async function seedBuiltInPrompts(pool: pg.Pool): Promise<PromptVersionRow[]> {
  return withTransaction(pool, async (tx) => {
    await lockPromptVersions(tx);
    const seeded: PromptVersionRow[] = [];
    for (const name of TEMPLATE_NAMES) {
      const row = await seedPromptVersion(tx, name, BUILT_IN_TEMPLATES[name], SEEDED_BY);
      if (!row) continue;
      seeded.push(row);
      await appendAuditEvent(tx, {
        subject: AUDIT_SUBJECT,
        subject_id: row.version_id,
        type: "seeded",
        actor: SEEDED_BY,
        after: { status: "active", template: name, version: 1 },
      });
    }
    return seeded;
  });
}

/** Each template's active version (null: none, its built-in text applies). */
async function activeVersions(
  db: Queryable,
): Promise<Record<TemplateName, PromptVersionRow | null>> {
  const rows = await findActivePrompts(db);
  return Object.fromEntries(
    TEMPLATE_NAMES.map((name) => [name, rows.find((r) => r.template === name) ?? null]),
  ) as Record<TemplateName, PromptVersionRow | null>;
}

export async function listPrompts(
  deps: PromptServiceDeps,
  template: TemplateName | undefined,
  limit: number,
): Promise<{
  active: Record<TemplateName, PromptVersionRow | null>;
  versions: PromptVersionRow[];
}> {
  const active = await activeVersions(deps.pool);
  return { active, versions: await listPromptVersions(deps.pool, template, limit) };
}

/** A unified diff from the text in force to `body` (empty when they are the same). */
export function promptDiff(
  template: TemplateName,
  from: { label: string; body: string },
  to: { label: string; body: string },
): string {
  if (from.body === to.body) return "";
  return createTwoFilesPatch(
    `${template} ${from.label}`,
    `${template} ${to.label}`,
    withNewline(from.body),
    withNewline(to.body),
    undefined,
    undefined,
    { context: 3 },
  );
}

const withNewline = (text: string) => (text.endsWith("\n") ? text : `${text}\n`);

export interface PromptVersionDetail {
  version: PromptVersionRow;
  /** The template's active version (null: none, the built-in text applies). */
  active: PromptVersionRow | null;
  /** Unified diff from the active text to this version's. */
  diff: string;
  events: AuditEventRow[];
}

/** A version, its diff against the active version of its template, and its audit trail. */
export async function promptVersion(
  deps: PromptServiceDeps,
  versionId: string,
): Promise<PromptVersionDetail> {
  const row = await findPromptVersion(deps.pool, versionId);
  if (!row) throw notFound("prompt version", versionId);
  const active = (await activeVersions(deps.pool))[row.template];
  const diff = promptDiff(
    row.template,
    active
      ? { label: `v${active.version} (active)`, body: active.body }
      : { label: "built-in", body: BUILT_IN_TEMPLATES[row.template] },
    { label: `v${row.version} (${row.status})`, body: row.body },
  );
  return {
    version: row,
    active,
    diff,
    events: await auditEventsOf(deps.pool, AUDIT_SUBJECT, versionId),
  };
}

export interface PromptProposal {
  template: TemplateName;
  body: string;
  comment?: string;
}

/**
 * Stores a new version of a template as `proposed`: it runs nowhere until an admin approves it.
 * Its text is checked first (directives, length, prose): 422 with every problem. A text equal to
 * the active one is refused too: there would be nothing to approve.
 */
export async function proposePrompt(
  deps: PromptServiceDeps,
  proposal: PromptProposal,
  actor: { name: string },
  idempotencyKey?: string,
): Promise<{ version: PromptVersionRow; created: boolean }> {
  if (idempotencyKey) {
    const earlier = await findPromptProposalByIdempotencyKey(
      deps.pool,
      proposal.template,
      actor.name,
      idempotencyKey,
    );
    if (earlier) return { version: earlier, created: false };
  }
  try {
    validateTemplate(proposal.template, proposal.body);
  } catch (error) {
    if (!(error instanceof PromptTemplateError)) throw error;
    throw new InvalidInputError("invalid_template", error.message, { problems: error.problems });
  }
  return withTransaction(deps.pool, async (tx) => {
    await lockPromptVersions(tx);
    const active = (await activeVersions(tx))[proposal.template];
    const inForce = active?.body ?? BUILT_IN_TEMPLATES[proposal.template];
    if (inForce === proposal.body) {
      throw new InvalidInputError(
        "template_unchanged",
        `the text is the ${proposal.template} template's ${active ? `active version ${active.version}` : "built-in text"} already`,
      );
    }
    const row = await insertPromptProposal(tx, {
      ...proposal,
      proposed_by: actor.name,
      idempotency_key: idempotencyKey,
    });
    if (!row) {
      // The same key won a race with this request: its proposal stands.
      const earlier = await findPromptProposalByIdempotencyKey(
        tx,
        proposal.template,
        actor.name,
        idempotencyKey!,
      );
      return { version: earlier!, created: false };
    }
    await appendAuditEvent(tx, {
      subject: AUDIT_SUBJECT,
      subject_id: row.version_id,
      type: "proposed",
      actor: actor.name,
      after: {
        status: row.status,
        template: row.template,
        version: row.version,
        comment: row.comment,
        active_version: active?.version ?? null,
      },
    });
    return { version: row, created: true };
  });
}

/** A dry run as stored with its proposal: when, by whom, against which active versions. */
export interface StoredDryRun extends DryRunResult {
  at: string;
  by: string;
  active_versions: Record<TemplateName, number | null>;
}

/**
 * Runs a proposal's dry run (src/prompts/dry-run.ts) and stores it with the proposal, so the
 * admin who decides sees it. Only a proposal has one: an active, rejected or superseded version
 * is a 409 (a rejected version never runs, not even here).
 */
export async function dryRunPrompt(
  deps: PromptServiceDeps,
  versionId: string,
  options: { sample?: number },
  actor: { name: string },
): Promise<{ version: PromptVersionRow; dry_run: StoredDryRun }> {
  const row = await findPromptVersion(deps.pool, versionId);
  if (!row) throw notFound("prompt version", versionId);
  if (row.status !== "proposed") throw notAProposal(row);
  const cases = sampleCases(
    await loadDataset(deps.dryRun.dataset),
    options.sample ?? deps.dryRun.sample,
  );
  const active = await readActivePrompts(deps.pool);
  const after: PromptSet = {
    ...active.prompts,
    ...(row.template === "generator"
      ? { generator: parseGeneratorTemplate(row.body) }
      : { judge: parseJudgeTemplate(row.body) }),
  };
  const result = await dryRun({
    cases,
    dataset: deps.dryRun.dataset,
    context: deps.context,
    thresholds: await deps.thresholds?.(),
    before: active.prompts,
    after,
  });
  const stored: StoredDryRun = {
    ...result,
    at: new Date().toISOString(),
    by: actor.name,
    active_versions: {
      generator: active.versions.generator.version,
      judge: active.versions.judge.version,
    },
  };
  const updated = await withTransaction(deps.pool, async (tx) => {
    const saved = await recordDryRun(tx, versionId, stored);
    if (!saved) return undefined;
    await appendAuditEvent(tx, {
      subject: AUDIT_SUBJECT,
      subject_id: versionId,
      type: "dry_run",
      actor: actor.name,
      after: { cases: result.case_ids.length, before: result.before, after: result.after },
    });
    return saved;
  });
  // Decided while the dry run ran: what it found no longer matters to a decision.
  if (!updated) throw notAProposal((await findPromptVersion(deps.pool, versionId)) ?? row);
  return { version: updated, dry_run: stored };
}

const notAProposal = (row: PromptVersionRow) =>
  new ConflictError(
    "prompt_version_decided",
    `${row.template} prompt version ${row.version} is ${row.status}; only a proposal has a dry run`,
  );

export type PromptDecisionResult = VersionDecision<PromptVersionRow>;

/** Prompt versions for the shared approve/reject steps (src/services/versioned.ts). */
const promptStore: VersionStore<PromptVersionRow> = {
  subject: AUDIT_SUBJECT,
  noun: "prompt version",
  describe: (row) => `${row.template} prompt version ${row.version}`,
  conflictCode: "prompt_version_decided",
  lock: lockPromptVersions,
  find: findPromptVersion,
  supersedeActive: (tx, row) => supersedeActivePrompt(tx, row.template),
  decide: decidePromptProposal,
  contents: (row) => (row ? { template: row.template } : {}),
};

/**
 * Approves a proposal: it becomes its template's active version, used by every run that starts
 * after this commits, in every process (NOTIFY); the version it replaces is superseded.
 */
export async function approvePrompt(
  deps: PromptServiceDeps,
  versionId: string,
  actor: { name: string },
  comment?: string,
): Promise<PromptDecisionResult> {
  const result = await approveVersion(deps.pool, promptStore, versionId, actor, comment);
  if (result.changed) deps.signals?.promptsChanged();
  return result;
}

/** Rejects a proposal: it never runs. */
export async function rejectPrompt(
  deps: PromptServiceDeps,
  versionId: string,
  actor: { name: string },
  comment?: string,
): Promise<PromptDecisionResult> {
  return rejectVersion(deps.pool, promptStore, versionId, actor, comment);
}
