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
    reason_key: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe("only items that paused for this reason (a key from GET /reviews/reasons)"),
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

/** The same approve or reject on many reviews that share a reason, each with its own version. */
export const bulkDecisionBody = z
  .object({
    items: z
      .array(z.object({ review_id: z.uuid(), version: cardVersion }).strict())
      .min(1)
      .max(100)
      .refine(
        (items) => new Set(items.map((i) => i.review_id.toLowerCase())).size === items.length,
        {
          message: "each review at most once",
        },
      ),
    decision: z.discriminatedUnion("type", [approve, reject]),
  })
  .strict();

export const createKeyBody = z
  .object({
    name: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .regex(/^[\w.@-]+$/, "letters, digits, _ . @ - only"),
    role: z.enum(roles),
    /** Domains a reviewer may curate documents of (policy rule ids); absent: every domain. */
    domains: z
      .array(z.string().trim().min(1).max(100))
      .max(50)
      .optional()
      .describe("Domains whose documents the key may curate; absent: every domain."),
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

const citation = z.object({
  marker: z.number().int(),
  chunk_id: z.uuid(),
  title: z.string(),
  /** The document version the passage came from (answers since curated knowledge). */
  document_id: z.uuid().optional(),
  document_version: z.number().int().optional(),
});

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
  feedback_token: z
    .string()
    .optional()
    .describe(
      "Only to the thread's owner: send it as `Signoff-Feedback-Token` to post this thread's end-user feedback without an API key (the widget does)",
    ),
  feedback_token_expires_at: timestamp
    .optional()
    .describe("When `feedback_token` stops working; get the thread again for a new one"),
});

const reviewListItem = z.object({
  review_id: z.uuid(),
  thread_id: z.uuid(),
  stage: z.enum(reviewStages),
  status: z.enum(reviewStatuses),
  priority: z.number().int(),
  risk_tier: z.string(),
  reason: z.string(),
  reason_key: z.string().describe("why it paused, as a key shared by items with the same cause"),
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

export const reviewReasonsResponse = z.object({
  items: z.array(
    z.object({
      reason_key: z.string().describe("the `reason_key` filter of GET /reviews for this group"),
      stage: z.enum(reviewStages),
      label: z.string().describe("the reason in plain words"),
      count: z.number().int().describe("pending items"),
    }),
  ),
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

export const bulkDecisionResponse = z.object({
  decided: z.number().int().describe("items decided (or whose vote was recorded)"),
  refused: z.number().int(),
  results: z.array(
    z.object({
      review_id: z.uuid(),
      outcome: z.enum(["decided", "vote_recorded", "escalated", "refused"]),
      thread_id: z.uuid().nullable(),
      error: z.object({ code: z.string(), message: z.string() }).nullable(),
    }),
  ),
});

export const feedbackResponse = z.object({
  feedback_id: z.uuid(),
  thread_id: z.uuid(),
  created_at: timestamp,
});

export const documentResponse = z.object({
  document_id: z.uuid(),
  /** The key a document's versions share: its source when given, else its title. */
  document_key: z.string(),
  version: z.number().int(),
  /** `pending` (waits for a reviewer of its curated domain) or `live` (retrievable now). */
  status: z.enum(["pending", "live", "rejected", "superseded"]),
  replaces: z.uuid().nullable(),
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
  domains: z.array(z.string()).nullable(),
  created_at: timestamp,
  revoked_at: timestamp.nullable(),
});
export const keyListResponse = z.object({ items: z.array(keyResponse) });
export const createdKeyResponse = keyResponse.extend({ key: z.string() });

// Batches (src/services/batches.ts).

const batchPriority = z.coerce
  .number()
  .int()
  .min(0)
  .max(100)
  .describe("between batches, higher first (0-100, default 50); interactive runs always go first");

export const createBatchBody = z
  .object({
    questions: z
      .array(z.record(z.string(), z.unknown()))
      .min(1)
      .describe(
        "`{question, id?, metadata?}` each (see the NDJSON line); validated one by one, so an error names its position as `line`",
      ),
    priority: batchPriority.optional(),
    metadata: boundedJsonObject(METADATA_LIMITS).optional(),
  })
  .strict();

/** Settings of an NDJSON submission, which has no envelope for them. */
export const createBatchQuery = z
  .object({
    priority: batchPriority.optional(),
    metadata: z
      .string()
      .max(METADATA_LIMITS.maxBytes)
      .transform((text, ctx) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          ctx.addIssue({ code: "custom", message: "metadata must be a JSON object" });
          return z.NEVER;
        }
      })
      .pipe(boundedJsonObject(METADATA_LIMITS))
      .optional()
      .describe("the batch's metadata as a JSON object (NDJSON bodies; a JSON body has its own)"),
  })
  .strict();

/** One NDJSON line of a submission (documentation; src/services/batch-items.ts validates). */
export const batchItemLine = z.object({
  question: z.string().min(1).max(4000),
  id: z
    .union([z.string().min(1).max(200), z.number().int().min(0)])
    .optional()
    .describe("the item's key in its batch (unique); its line number when absent"),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

export const appendBatchItemsBody = z
  .object({
    questions: z
      .array(z.record(z.string(), z.unknown()))
      .min(1)
      .describe("`{question, id, metadata?}` each: added items need an `id`"),
  })
  .strict();

export const batchResponse = z.object({
  batch_id: z.uuid(),
  priority: z.number().int(),
  metadata: z.record(z.string(), z.unknown()),
  created_by: z.string(),
  created_at: timestamp,
  total: z.number().int(),
  counts: z.object({
    queued: z.number().int(),
    running: z.number().int(),
    awaiting_review: z.number().int(),
    completed: z.number().int(),
    failed: z.number().int(),
  }),
  settled: z.boolean().describe("nothing is queued or running (awaiting review is settled)"),
});

export const batchSubmitResponse = batchResponse.extend({
  submitted: z.number().int().describe("questions in this request"),
  started: z.number().int().describe("threads this request started (items the batch lacked)"),
});

export const batchResultsQuery = z
  .object({
    status: z
      .string()
      .transform((s) => s.split(",").map((v) => v.trim()))
      .pipe(z.array(z.enum(threadStatuses)).min(1))
      .optional()
      .describe("only these thread statuses, comma-separated (e.g. `completed,awaiting_review`)"),
  })
  .strict();

export const batchResultLine = z.object({
  item_id: z.string(),
  thread_id: z.uuid(),
  status: z.enum(threadStatuses),
  question: z.string(),
  metadata: z.record(z.string(), z.unknown()),
  answer: z.string().nullable(),
  provenance: z.enum(provenances).nullable(),
  answer_provider: z.string().nullable(),
  citations: z.array(citation),
  error: z.string().nullable(),
  completed_at: timestamp.nullable(),
});
