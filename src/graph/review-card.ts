import type { HumanInterrupt } from "@langchain/langgraph/prebuilt";
import type { Citation, JudgeFlag } from "../providers/types.js";
import type { Configuration } from "./configuration.js";
import type { DecisionType, ReviewStage } from "./decision.js";
import { answerGate, retrievalGate } from "./gates.js";
import type { PolicyMatch, RiskTier } from "./policy.js";
import type { State } from "./state.js";

/** Everything a reviewer needs to decide, carried in the interrupt value's `card`. */
export interface ReviewCard {
  stage: ReviewStage;
  /** The first reason in plain words, e.g. "retrieval score 0.31 is under 0.50". */
  reason: string;
  reasons: string[];
  question: string;
  risk_tier: RiskTier;
  policy: PolicyMatch[];
  retrieval: {
    score: number;
    threshold: number;
    passages: { chunk_id: string; title: string; text: string; score: number }[];
  };
  draft: { text: string; citations: Citation[]; provider: string } | null;
  judge: {
    score: number;
    threshold: number;
    groundedness: number;
    coverage: number;
    flags: JudgeFlag[];
    /** Per flag, what the judge found, in plain words (absent on cards stored before it was). */
    explanations?: Partial<Record<JudgeFlag, string>>;
    rationale: string;
  } | null;
  audit_sample: boolean;
  revision: { count: number; limit: number };
  allowed_decisions: DecisionType[];
}

/** The scores and thresholds that sent an item to review, stored with the decision. */
export interface ReviewTrigger {
  stage: ReviewStage;
  reasons: string[];
  risk_tier: RiskTier;
  policy_rules: string[];
  retrieval_score: number;
  retrieval_threshold: number;
  judge_score: number | null;
  judge_threshold: number | null;
  judge_flags: JudgeFlag[];
  audit_sample: boolean;
}

export const REVIEW_ACTIONS: Record<ReviewStage, string> = {
  retrieval: "review_retrieval",
  answer: "review_answer",
};

export { flagWords } from "./gates.js";

/** Why the evidence is in front of a reviewer: the retrieval gate's reasons. */
export function retrievalReasons(state: State, cfg: Configuration): string[] {
  const gate = retrievalGate(
    { score: state.retrieval?.score, passages: state.retrieval?.passages.length ?? 0 },
    cfg,
  );
  return gate.reasons.length > 0 ? gate.reasons : ["the evidence needs a human sign-off"];
}

/** Why the draft is in front of a reviewer: a revision they asked for, and the answer gate's reasons. */
export function answerReasons(state: State, cfg: Configuration): string[] {
  const reasons = answerGate(state, cfg).reasons;
  if (state.revisionInstructions !== undefined) {
    reasons.unshift(
      `revised draft ${state.revisionCount} of ${cfg.revisionLimit}, as asked: "${state.revisionInstructions}"`,
    );
  }
  return reasons.length > 0 ? reasons : ["the answer needs a human sign-off"];
}

export function buildReviewCard(
  stage: ReviewStage,
  state: State,
  cfg: Configuration,
  stageReasons: string[],
): ReviewCard {
  const reasons = state.refusedDecision
    ? [`the previous decision was refused: ${state.refusedDecision}`, ...stageReasons]
    : stageReasons;
  const canRevise = state.revisionCount < cfg.revisionLimit;
  const judgment = state.judgment;
  return {
    stage,
    reason: reasons[0]!,
    reasons,
    question: state.question,
    risk_tier: state.riskTier,
    policy: state.policyMatches,
    retrieval: {
      score: state.retrieval?.score ?? 0,
      threshold: cfg.retrievalThreshold,
      passages: (stage === "answer" ? state.evidence : (state.retrieval?.passages ?? [])).map(
        (p) => ({ chunk_id: p.chunk_id, title: p.title, text: p.text, score: p.score }),
      ),
    },
    draft: stage === "answer" && state.draft ? { ...state.draft } : null,
    judge:
      stage === "answer" && judgment
        ? {
            score: judgment.score,
            threshold: cfg.judgeThreshold,
            groundedness: judgment.groundedness,
            coverage: judgment.coverage,
            flags: judgment.flags,
            explanations: judgment.explanations ?? {},
            rationale: judgment.rationale,
          }
        : null,
    audit_sample: stage === "answer" && state.auditSample,
    revision: { count: state.revisionCount, limit: cfg.revisionLimit },
    allowed_decisions: [
      "approve",
      "edit",
      "respond",
      "reject",
      ...(canRevise ? ["revise" as const] : []),
    ],
  };
}

export function triggerOf(card: ReviewCard): ReviewTrigger {
  return {
    stage: card.stage,
    reasons: card.reasons,
    risk_tier: card.risk_tier,
    policy_rules: card.policy.map((p) => p.rule),
    retrieval_score: card.retrieval.score,
    retrieval_threshold: card.retrieval.threshold,
    judge_score: card.judge?.score ?? null,
    judge_threshold: card.judge?.threshold ?? null,
    judge_flags: card.judge?.flags ?? [],
    audit_sample: card.audit_sample,
  };
}

/** What a reviewer can change at each stage: the only keys of the interrupt's editable args. */
export type EditableArgs = { answer: string } | { chunk_ids: string[] };

/** The decisions LangChain v1's human-in-the-loop middleware knows. */
export type V1DecisionType = "approve" | "edit" | "reject";

/**
 * The interrupt value the review nodes raise. It carries two client shapes side by side, and the
 * card:
 * - LangChain's Agent Inbox `HumanInterrupt`: `action_request {action, args}`, `config`,
 *   `description`;
 * - LangChain v1's `HITLRequest` (the `humanInTheLoopMiddleware` shape Agent Chat UI renders):
 *   `action_requests [{name, args, description}]`, `review_configs [{action_name,
 *   allowed_decisions}]`. Its request also has `arguments`, a copy of `args`: Agent Inbox reads
 *   a v1 request when one is present, and it takes the editable fields from `arguments`.
 * Both `args` hold only what a reviewer may edit (`answer`, or `chunk_ids`), because both clients
 * render every key of them as an editable field and send them all back on an edit. Everything
 * else a reviewer needs is in `card` (read it with `cardOfInterrupt`) and, in words, in the
 * description.
 */
export interface ReviewInterrupt extends HumanInterrupt {
  action_request: { action: string; args: EditableArgs };
  description: string;
  action_requests: {
    name: string;
    args: EditableArgs;
    arguments: EditableArgs;
    description: string;
  }[];
  review_configs: {
    action_name: string;
    allowed_decisions: V1DecisionType[];
    args_schema: Record<string, unknown>;
  }[];
  card: ReviewCard;
}

/** The fields a reviewer may edit at the card's stage, as the interrupt's `args` carries them. */
export function editableArgs(card: ReviewCard): EditableArgs {
  return card.stage === "answer"
    ? { answer: card.draft?.text ?? "" }
    : { chunk_ids: card.retrieval.passages.map((p) => p.chunk_id) };
}

const argsSchemas: Record<ReviewStage, Record<string, unknown>> = {
  answer: {
    type: "object",
    properties: { answer: { type: "string", description: "The answer to send, corrected." } },
    required: ["answer"],
  },
  retrieval: {
    type: "object",
    properties: {
      chunk_ids: {
        type: "array",
        items: { type: "string", format: "uuid" },
        description: "The passages to answer from (a JSON list of chunk ids).",
      },
    },
    required: ["chunk_ids"],
  },
};

const v1Decisions: readonly V1DecisionType[] = ["approve", "edit", "reject"];

/** Wraps a card in the interrupt value: Agent Inbox's and LangChain v1's shapes, and the card. */
export function toHumanInterrupt(card: ReviewCard): ReviewInterrupt {
  const action = REVIEW_ACTIONS[card.stage];
  const args = editableArgs(card);
  const description = describeCard(card);
  return {
    action_request: { action, args },
    config: { allow_accept: true, allow_edit: true, allow_respond: true, allow_ignore: true },
    description,
    action_requests: [{ name: action, args, arguments: args, description }],
    review_configs: [
      {
        action_name: action,
        allowed_decisions: v1Decisions.filter((d) => card.allowed_decisions.includes(d)),
        args_schema: argsSchemas[card.stage],
      },
    ],
    card,
  };
}

const score = (n: number) => n.toFixed(2);
const brief = (text: string, max = 160) => {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

/** The card in readable Markdown, for clients that show only the interrupt's description. */
export function describeCard(card: ReviewCard): string {
  const what =
    card.stage === "retrieval"
      ? "the evidence before an answer is written"
      : "the answer before it is sent";
  const lines = [
    `**Review ${what}.**`,
    "",
    `**Question:** ${card.question}`,
    "",
    "**Why this needs a human:**",
    ...card.reasons.map((r) => `- ${r}`),
    "",
    `**Risk tier:** ${card.risk_tier}`,
    `**Retrieval score:** ${score(card.retrieval.score)} (threshold ${score(card.retrieval.threshold)})`,
  ];
  if (card.judge) {
    const flags = card.judge.flags.length ? `; flags: ${card.judge.flags.join(", ")}` : "";
    lines.push(
      `**Judge score:** ${score(card.judge.score)} (threshold ${score(card.judge.threshold)}; ` +
        `groundedness ${score(card.judge.groundedness)}, coverage ${score(card.judge.coverage)}${flags})`,
    );
    if (card.judge.rationale) lines.push(`**Judge:** ${brief(card.judge.rationale, 400)}`);
  }
  if (card.draft) {
    lines.push("", `**Draft** (${card.draft.provider}):`, "", ...quote(card.draft.text));
  }
  lines.push("", card.stage === "answer" ? "**Evidence used:**" : "**Evidence found:**");
  if (card.retrieval.passages.length === 0) lines.push("- (none)");
  for (const p of card.retrieval.passages) {
    lines.push(`- ${p.title} (score ${score(p.score)}, \`${p.chunk_id}\`): ${brief(p.text)}`);
  }
  lines.push(
    "",
    card.stage === "answer"
      ? "Approve (Accept) sends the draft as it is; Edit sends your corrected `answer`; Respond sends the answer you write instead; Reject (Ignore) sends the safe fallback reply."
      : "Approve (Accept) answers from this evidence; Edit keeps only the passages whose ids you leave in `chunk_ids`; Respond sends the answer you write instead; Reject (Ignore) sends the safe fallback reply.",
  );
  if (card.allowed_decisions.includes("revise")) {
    lines.push(
      `To ask for a revision (${card.revision.count} of ${card.revision.limit} used), use the signoff reviewer page or API.`,
    );
  }
  return lines.join("\n");
}

function quote(text: string): string[] {
  return text.split("\n").map((line) => `> ${line}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function looksLikeCard(v: unknown): v is ReviewCard {
  return isRecord(v) && (v.stage === "retrieval" || v.stage === "answer") && "reasons" in v;
}

/**
 * The ReviewCard inside an interrupt value: `card` (the current shape, `ReviewInterrupt`), or the
 * whole `action_request.args` (reviews and checkpoints stored before the args held only the
 * editable fields). Accepts the value, a one-element list of it, or a LangGraph `Interrupt`
 * (`{id, value}`). Throws when there is no card.
 */
export function cardOfInterrupt(value: unknown): ReviewCard {
  let v = Array.isArray(value) ? (value[0] as unknown) : value;
  if (isRecord(v) && !("card" in v) && !("action_request" in v) && isRecord(v.value)) v = v.value;
  if (isRecord(v)) {
    if (looksLikeCard(v.card)) return v.card;
    const request = v.action_request;
    if (isRecord(request) && looksLikeCard(request.args)) return request.args;
  }
  throw new Error("the interrupt value carries no review card");
}
