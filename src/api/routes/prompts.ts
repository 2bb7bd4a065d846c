import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { requireRole } from "../auth.js";
import {
  errors,
  idempotencyHeaders,
  json,
  jsonRequestBody,
  routeGroup,
  uuidParam,
} from "../openapi.js";
import {
  dryRunSchema,
  promptApproveBody,
  promptDecisionResponse,
  promptDetailResponse,
  promptDryRunBody,
  promptDryRunResponse,
  promptListQuery,
  promptListResponse,
  promptProposalBody,
  promptRejectBody,
  promptVersionResponse,
} from "../prompt-schemas.js";
import {
  approvePrompt,
  dryRunPrompt,
  listPrompts,
  promptVersion,
  proposePrompt,
  rejectPrompt,
  type PromptDecisionResult,
} from "../../services/prompts.js";
import type { PromptVersionRow } from "../../repositories/prompt-versions.js";
import { auditEventView } from "./thresholds.js";

const admins = requireRole("admin");
const proposers = requireRole("reviewer", "admin");
const tags = ["prompts"];
const versionPath = z.object({ versionId: uuidParam });

/** A version as the API shows it. */
export function promptVersionView(row: PromptVersionRow): z.infer<typeof promptVersionResponse> {
  return {
    version_id: row.version_id,
    template: row.template,
    version: row.version,
    body: row.body,
    status: row.status,
    comment: row.comment,
    proposed_by: row.proposed_by,
    proposed_at: row.proposed_at.toISOString(),
    decided_by: row.decided_by,
    decided_at: row.decided_at?.toISOString() ?? null,
    decision_comment: row.decision_comment,
    superseded_at: row.superseded_at?.toISOString() ?? null,
    dry_run: row.dry_run as z.infer<typeof dryRunSchema> | null,
  };
}

const nullableView = (row: PromptVersionRow | null) => (row ? promptVersionView(row) : null);

const listRoute = createRoute({
  method: "get",
  path: "/",
  tags,
  summary: "The active prompt templates and the history of versions, newest first",
  description: "Roles: reviewer, admin.",
  middleware: [proposers] as const,
  request: { query: promptListQuery },
  responses: {
    200: { description: "Versions", content: json(promptListResponse) },
    ...errors.query,
  },
});

const getRoute = createRoute({
  method: "get",
  path: "/{versionId}",
  tags,
  summary: "A prompt version, its unified diff against the active version, and its audit trail",
  description: "Roles: reviewer, admin.",
  middleware: [proposers] as const,
  request: { params: versionPath },
  responses: {
    200: { description: "The version", content: json(promptDetailResponse) },
    ...errors.byId,
  },
});

const proposeRoute = createRoute({
  method: "post",
  path: "/proposals",
  tags,
  summary: "Propose a new version of a prompt template (it runs nowhere until approved)",
  description:
    "Roles: reviewer, admin. The text is checked (directives, length, some prose): 422 `invalid_template` with every problem, or `template_unchanged` when it equals the active text.",
  middleware: [proposers] as const,
  request: { headers: idempotencyHeaders, body: jsonRequestBody(promptProposalBody) },
  responses: {
    201: { description: "Proposed", content: json(promptVersionResponse) },
    200: {
      description: "The proposal made earlier with this Idempotency-Key",
      content: json(promptVersionResponse),
    },
    ...errors.body,
  },
});

const dryRunRoute = createRoute({
  method: "post",
  path: "/{versionId}/dry-run",
  tags,
  summary: "Run a sample of the eval set with the active templates and with this proposal",
  description:
    "Roles: reviewer, admin. The same stable sample of the eval set (PROMPT_DRY_RUN_DATASET, default evals/datasets/seed.jsonl) through the graph twice, in memory, with the deployment's providers and knowledge base: the eval metrics before and after, and the cases that changed. Stored with the proposal. Only a proposal: 409 otherwise. Answers when both runs are done.",
  middleware: [proposers] as const,
  request: { params: versionPath, body: jsonRequestBody(promptDryRunBody) },
  responses: {
    200: { description: "The dry run", content: json(promptDryRunResponse) },
    ...errors.body,
    404: errors.byId[404],
    409: errors.conflict,
  },
});

const decisionRoute = (
  action: "approve" | "reject",
  summary: string,
  body: typeof promptApproveBody | typeof promptRejectBody,
) =>
  createRoute({
    method: "post",
    path: `/{versionId}/${action}`,
    tags,
    summary,
    description:
      "Role: admin. Recorded with who decided, in the version and in its audit trail. Repeating it answers 200 with changed: false." +
      (action === "reject" ? " A reason (`comment`) is required." : ""),
    middleware: [admins] as const,
    request: { params: versionPath, body: jsonRequestBody(body) },
    responses: {
      200: { description: "Decided", content: json(promptDecisionResponse) },
      ...errors.body,
      404: errors.byId[404],
      409: errors.conflict,
    },
  });

const approveRoute = decisionRoute(
  "approve",
  "Approve a proposal: every run that starts from now on uses it, in every process",
  promptApproveBody,
);
const rejectRoute = decisionRoute(
  "reject",
  "Reject a proposal, with a reason: it never runs",
  promptRejectBody,
);

function decisionView(result: PromptDecisionResult) {
  return {
    version: promptVersionView(result.version),
    changed: result.changed,
    superseded: nullableView(result.superseded),
  };
}

export function promptRoutes() {
  return routeGroup()
    .openapi(listRoute, async (c) => {
      const { template, limit } = c.req.valid("query");
      const list = await listPrompts(c.var.services.prompts, template, limit);
      return c.json(
        {
          active: {
            generator: nullableView(list.active.generator),
            judge: nullableView(list.active.judge),
          },
          versions: list.versions.map(promptVersionView),
        },
        200,
      );
    })
    .openapi(proposeRoute, async (c) => {
      const result = await proposePrompt(
        c.var.services.prompts,
        c.req.valid("json"),
        { name: c.var.actor },
        c.req.valid("header")["idempotency-key"],
      );
      return c.json(promptVersionView(result.version), result.created ? 201 : 200);
    })
    .openapi(getRoute, async (c) => {
      const detail = await promptVersion(c.var.services.prompts, c.req.valid("param").versionId);
      return c.json(
        {
          version: promptVersionView(detail.version),
          active_version: detail.active?.version ?? null,
          diff: detail.diff,
          events: detail.events.map(auditEventView),
        },
        200,
      );
    })
    .openapi(dryRunRoute, async (c) => {
      const result = await dryRunPrompt(
        c.var.services.prompts,
        c.req.valid("param").versionId,
        c.req.valid("json"),
        { name: c.var.actor },
      );
      return c.json({ version: promptVersionView(result.version), dry_run: result.dry_run }, 200);
    })
    .openapi(approveRoute, async (c) => {
      const result = await approvePrompt(
        c.var.services.prompts,
        c.req.valid("param").versionId,
        { name: c.var.actor },
        c.req.valid("json").comment,
      );
      return c.json(decisionView(result), 200);
    })
    .openapi(rejectRoute, async (c) => {
      const result = await rejectPrompt(
        c.var.services.prompts,
        c.req.valid("param").versionId,
        { name: c.var.actor },
        c.req.valid("json").comment,
      );
      return c.json(decisionView(result), 200);
    });
}
