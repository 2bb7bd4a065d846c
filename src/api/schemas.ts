import { z } from "zod";
import { decisionSchema, decisionTypes, reviewStages } from "../graph/decision.js";
import { provenances } from "../graph/state.js";
import { threadStatuses } from "../repositories/threads.js";
import { reviewStatuses } from "../repositories/reviews.js";
import { feedbackReasons } from "../services/feedback.js";
import { roles } from "../auth/keys.js";
import { boundedJsonObject, METADATA_LIMITS } from "../validation/bounded-json.js";

/** Request and response schemas: they validate requests and are the OpenAPI document. */

const waitSeconds = z.coerce.number().min(0).max(60).optional();

export const createThreadBody = z
  .object({
    question: z.string().trim().min(1).max(4000),
    metadata: boundedJsonObject(METADATA_LIMITS).default({}),
  })
  .strict();

export const waitQuery = z.object({ wait: waitSeconds }).strict();

export const listReviewsQuery = z
  .object({
    status: z.enum(reviewStatuses).optional(),
    stage: z.enum(reviewStages).optional(),
    risk_tier: z.enum(["low", "medium", "high"]).optional(),
    queue: z.enum(["main", "escalation"]).optional(),
    /** "me", "none" (unclaimed) or a reviewer's name. */
    assignee: z.string().min(1).max(100).optional(),
    /** Only items waiting at least this many seconds. */
    older_than: z.coerce
      .number()
      .int()
      .min(0)
      .max(10 * 365 * 86_400)
      .optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().min(1).max(500).optional(),
  })
  .strict();

/**
 * The decision body: a decision plus, optionally, the card `version` the reviewer was shown.
 * Each variant of the decision is extended, so unknown keys are still refused.
 */
const cardVersion = z
  .string()
  .min(1)
  .max(100)
  .optional()
  .describe("the review's `version` when it was shown; a mismatch is a 409");
const [approve, edit, respond, reject, revise] = decisionSchema.options;
export const decisionRequestBody = z.discriminatedUnion("type", [
  approve.safeExtend({ version: cardVersion }),
  edit.safeExtend({ version: cardVersion }),
  respond.safeExtend({ version: cardVersion }),
  reject.safeExtend({ version: cardVersion }),
  revise.safeExtend({ version: cardVersion }),
]);

export const createKeyBody = z
  .object({
    name: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .regex(/^[\w.@-]+$/, "letters, digits, _ . @ - only"),
    role: z.enum(roles),
  })
  .strict();

export const feedbackBody = z
  .object({
    rating: z.number().int().min(1).max(5),
    reasons: z.array(z.enum(feedbackReasons)).max(12).default([]),
    comment: z.string().trim().max(5000).optional(),
    correction: z.string().trim().min(1).max(20_000).optional(),
  })
  .strict();

export const createDocumentBody = z
  .object({
    title: z.string().trim().min(1).max(500),
    text: z.string().trim().min(1).max(500_000),
    source: z.string().trim().max(2000).optional(),
    domain: z.string().trim().max(100).optional(),
  })
  .strict();

// Responses (documented in the OpenAPI document; tests check real responses against them).

const timestamp = z.iso.datetime({ offset: true });

export const errorResponse = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

const citation = z.object({ marker: z.number().int(), chunk_id: z.uuid(), title: z.string() });

export const threadResponse = z.object({
  thread_id: z.uuid(),
  status: z.enum(threadStatuses),
  question: z.string(),
  metadata: z.record(z.string(), z.unknown()),
  risk_tier: z.string().nullable(),
  answer: z.string().nullable(),
  provenance: z.enum(provenances).nullable(),
  answer_provider: z.string().nullable(),
  citations: z.array(citation).nullable(),
  error: z.string().nullable(),
  created_at: timestamp,
  updated_at: timestamp,
  completed_at: timestamp.nullable(),
  reviews: z.array(
    z.object({
      review_id: z.uuid(),
      stage: z.enum(reviewStages),
      status: z.enum(reviewStatuses),
      decision_type: z.enum(decisionTypes).nullable(),
      created_at: timestamp,
      decided_at: timestamp.nullable(),
    }),
  ),
});

const reviewListItem = z.object({
  review_id: z.uuid(),
  thread_id: z.uuid(),
  stage: z.enum(reviewStages),
  status: z.enum(reviewStatuses),
  priority: z.number().int(),
  risk_tier: z.string(),
  reason: z.string(),
  question: z.string(),
  queue: z.enum(["main", "escalation"]),
  claimed_by: z.string().nullable(),
  claim_expires_at: timestamp.nullable(),
  due_at: timestamp.nullable(),
  escalated_at: timestamp.nullable(),
  created_at: timestamp,
  decided_at: timestamp.nullable(),
  decision_type: z.enum(decisionTypes).nullable(),
});

export const reviewListResponse = z.object({
  items: z.array(reviewListItem),
  next_cursor: z.string().nullable(),
});

const passage = z.object({
  chunk_id: z.uuid(),
  title: z.string(),
  text: z.string(),
  score: z.number(),
});

export const reviewCardSchema = z.object({
  stage: z.enum(reviewStages),
  reason: z.string(),
  reasons: z.array(z.string()),
  question: z.string(),
  risk_tier: z.string(),
  policy: z.array(z.object({ rule: z.string(), description: z.string(), tier: z.string() })),
  retrieval: z.object({ score: z.number(), threshold: z.number(), passages: z.array(passage) }),
  draft: z
    .object({ text: z.string(), citations: z.array(citation), provider: z.string() })
    .nullable(),
  judge: z
    .object({
      score: z.number(),
      threshold: z.number(),
      groundedness: z.number(),
      coverage: z.number(),
      flags: z.array(z.string()),
      explanations: z
        .record(z.string(), z.string())
        .optional()
        .describe("Per flag, what the judge found, in plain words (absent on older reviews)."),
      rationale: z.string(),
    })
    .nullable(),
  audit_sample: z.boolean(),
  revision: z.object({ count: z.number().int(), limit: z.number().int() }),
  allowed_decisions: z.array(z.enum(decisionTypes)),
});

export const reviewResponse = reviewListItem.extend({
  version: z.string(),
  fallback_at: timestamp.nullable(),
  approvals: z.object({
    required: z.number().int(),
    votes: z.array(
      z.object({ actor: z.string(), decision_type: z.enum(decisionTypes), at: timestamp }),
    ),
  }),
  trigger: z.record(z.string(), z.unknown()),
  card: reviewCardSchema,
  interrupt: z.object({
    action_request: z.object({ action: z.string(), args: z.record(z.string(), z.unknown()) }),
    config: z.object({
      allow_accept: z.boolean(),
      allow_edit: z.boolean(),
      allow_respond: z.boolean(),
      allow_ignore: z.boolean(),
    }),
    description: z.string().optional(),
    // LangChain v1's HITLRequest, and the card: absent from reviews stored before they existed.
    action_requests: z
      .array(z.object({ name: z.string(), args: z.record(z.string(), z.unknown()) }).loose())
      .optional(),
    review_configs: z
      .array(z.object({ action_name: z.string(), allowed_decisions: z.array(z.string()) }).loose())
      .optional(),
    card: reviewCardSchema.optional(),
  }),
  decision: z.record(z.string(), z.unknown()).nullable(),
  decided_by: z.string().nullable(),
});

export const decisionResponse = z.object({
  outcome: z.enum(["decided", "vote_recorded", "escalated"]),
  review: reviewResponse,
  thread: threadResponse,
});

export const feedbackResponse = z.object({
  feedback_id: z.uuid(),
  thread_id: z.uuid(),
  created_at: timestamp,
});

export const documentResponse = z.object({
  document_id: z.uuid(),
  chunks: z.number().int(),
  created: z.boolean(),
});

export const healthResponse = z.object({ status: z.literal("ok") });
export const readinessResponse = z.object({
  status: z.enum(["ready", "not_ready"]),
  database: z.enum(["up", "down"]),
  pending_migrations: z.array(z.string()),
});

export const reviewEventsResponse = z.object({
  items: z.array(
    z.object({
      event_id: z.number().int(),
      type: z.string(),
      actor: z.string(),
      at: timestamp,
      before: z.unknown(),
      after: z.unknown(),
    }),
  ),
});

export const keyResponse = z.object({
  key_id: z.uuid(),
  name: z.string(),
  role: z.enum(roles),
  prefix: z.string(),
  created_at: timestamp,
  revoked_at: timestamp.nullable(),
});
export const keyListResponse = z.object({ items: z.array(keyResponse) });
export const createdKeyResponse = keyResponse.extend({ key: z.string() });
