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
  gateLiveQuery,
  gateLiveResponse,
  proposalBody,
  thresholdDecisionBody,
  thresholdDecisionResponse,
  thresholdEventsResponse,
  thresholdListQuery,
  thresholdListResponse,
  thresholdVersionResponse,
} from "../threshold-schemas.js";
import {
  approveThresholds,
  currentThresholds,
  listThresholds,
  liveGateRate,
  proposeThresholds,
  rejectThresholds,
  thresholdVersion,
} from "../../services/thresholds.js";
import type { ThresholdVersionRow } from "../../repositories/threshold-versions.js";
import type { AuditEventRow } from "../../repositories/audit-events.js";

const admins = requireRole("admin");
const tags = ["thresholds"];
const versionPath = z.object({ versionId: uuidParam });

/** A version as the API shows it. */
export function versionView(row: ThresholdVersionRow): z.infer<typeof thresholdVersionResponse> {
  return {
    version_id: row.version_id,
    version: row.version,
    thresholds: { retrieval: row.retrieval_threshold, judge: row.judge_threshold },
    status: row.status,
    proposed_by: row.proposed_by,
    proposed_at: row.proposed_at.toISOString(),
    decided_by: row.decided_by,
    decided_at: row.decided_at?.toISOString() ?? null,
    decision_comment: row.decision_comment,
    superseded_at: row.superseded_at?.toISOString() ?? null,
    evidence: row.evidence as Record<string, unknown>,
  };
}

const listRoute = createRoute({
  method: "get",
  path: "/",
  tags,
  summary: "The active gate thresholds and the history of versions, newest first",
  description: "Role: admin.",
  middleware: [admins] as const,
  request: { query: thresholdListQuery },
  responses: {
    200: { description: "Versions", content: json(thresholdListResponse) },
    ...errors.query,
  },
});

const getRoute = createRoute({
  method: "get",
  path: "/{versionId}",
  tags,
  summary: "A threshold version and its audit trail",
  description: "Role: admin.",
  middleware: [admins] as const,
  request: { params: versionPath },
  responses: {
    200: { description: "The version and its events", content: json(thresholdEventsResponse) },
    ...errors.byId,
  },
});

const proposeRoute = createRoute({
  method: "post",
  path: "/proposals",
  tags,
  summary: "Propose thresholds from recent human labels (gates nothing until approved)",
  description:
    "Role: admin. Labels of the window: answer-review decisions on first drafts (approve: fine unreviewed; anything else: not), audit samples among them, and users' first ratings of automatic answers (1-2 wrong). The certifying calibration (one-sided Clopper-Pearson bound, fixed-sequence testing) picks the pair, or names none (422 not_certified); `thresholds` proposes a pair of your own with the same evidence.",
  middleware: [admins] as const,
  request: { headers: idempotencyHeaders, body: jsonRequestBody(proposalBody) },
  responses: {
    201: { description: "Proposed", content: json(thresholdVersionResponse) },
    200: {
      description: "The proposal made earlier with this Idempotency-Key",
      content: json(thresholdVersionResponse),
    },
    ...errors.body,
  },
});

const decisionRoute = (action: "approve" | "reject", summary: string) =>
  createRoute({
    method: "post",
    path: `/{versionId}/${action}`,
    tags,
    summary,
    description:
      "Role: admin. Recorded with who decided, in the version and in its audit trail. Repeating it answers 200 with changed: false.",
    middleware: [admins] as const,
    request: { params: versionPath, body: jsonRequestBody(thresholdDecisionBody) },
    responses: {
      200: { description: "Decided", content: json(thresholdDecisionResponse) },
      ...errors.body,
      404: errors.byId[404],
      409: errors.conflict,
    },
  });

const approveRoute = decisionRoute(
  "approve",
  "Approve a proposal: it gates every run that starts from now on, in every process",
);
const rejectRoute = decisionRoute("reject", "Reject a proposal: it never gates anything");

const liveRoute = createRoute({
  method: "get",
  path: "/live",
  tags,
  summary: "The live wrong-automatic-answer rate per risk tier, with its confidence interval",
  description:
    "Roles: reviewer, admin. From audit samples decided by a human (unbiased) and users' first ratings of automatic answers (1-2 wrong; self-selected), over the window, with a two-sided Clopper-Pearson interval. Read from kept daily counts.",
  middleware: [requireRole("reviewer", "admin")] as const,
  request: { query: gateLiveQuery },
  responses: {
    200: { description: "The live rate", content: json(gateLiveResponse) },
    ...errors.query,
  },
});

/** Defaults of GET /gate/live (GATE_LIVE_WINDOW_DAYS, GATE_LIVE_CONFIDENCE). */
export interface GateLiveDefaults {
  windowDays: number;
  confidence: number;
}

export function thresholdRoutes() {
  return routeGroup()
    .openapi(listRoute, async (c) => {
      const { limit } = c.req.valid("query");
      const list = await listThresholds(c.var.services.thresholds, limit);
      return c.json(
        {
          active: list.active ? versionView(list.active) : null,
          defaults: list.defaults,
          versions: list.versions.map(versionView),
        },
        200,
      );
    })
    .openapi(proposeRoute, async (c) => {
      const result = await proposeThresholds(
        c.var.services.thresholds,
        c.req.valid("json"),
        { name: c.var.actor },
        c.req.valid("header")["idempotency-key"],
      );
      return c.json(versionView(result.version), result.created ? 201 : 200);
    })
    .openapi(getRoute, async (c) => {
      const { version, events } = await thresholdVersion(
        c.var.services.thresholds,
        c.req.valid("param").versionId,
      );
      return c.json(
        {
          version: versionView(version),
          events: events.map(auditEventView),
        },
        200,
      );
    })
    .openapi(approveRoute, async (c) => {
      const result = await approveThresholds(
        c.var.services.thresholds,
        c.req.valid("param").versionId,
        { name: c.var.actor },
        c.req.valid("json").comment,
      );
      return c.json(decisionView(result), 200);
    })
    .openapi(rejectRoute, async (c) => {
      const result = await rejectThresholds(
        c.var.services.thresholds,
        c.req.valid("param").versionId,
        { name: c.var.actor },
        c.req.valid("json").comment,
      );
      return c.json(decisionView(result), 200);
    });
}

/** An audit event as the API shows it. */
export function auditEventView(e: AuditEventRow) {
  return {
    event_id: e.event_id,
    type: e.type,
    actor: e.actor,
    at: e.at.toISOString(),
    before: e.before,
    after: e.after,
  };
}

function decisionView(result: Awaited<ReturnType<typeof approveThresholds>>) {
  return {
    version: versionView(result.version),
    changed: result.changed,
    superseded: result.superseded ? versionView(result.superseded) : null,
  };
}

export function gateRoutes(defaults: GateLiveDefaults) {
  return routeGroup().openapi(liveRoute, async (c) => {
    const query = c.req.valid("query");
    const deps = c.var.services.thresholds;
    const [live, current] = await Promise.all([
      liveGateRate(
        deps.pool,
        query.window_days ?? defaults.windowDays,
        query.confidence ?? defaults.confidence,
      ),
      currentThresholds(deps),
    ]);
    return c.json(
      { ...live, active_version: current.version?.version ?? null, thresholds: current.thresholds },
      200,
    );
  });
}
