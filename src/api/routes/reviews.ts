import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { z } from "zod";
import type { ApiEnv } from "../app.js";
import { requireRole } from "../auth.js";
import { ApiError } from "../errors.js";
import { errors, json, jsonRequestBody, routeGroup, uuidParam } from "../openapi.js";
import {
  bulkDecisionBody,
  bulkDecisionResponse,
  decisionRequestBody,
  decisionResponse,
  listReviewsQuery,
  reviewEventsResponse,
  reviewListResponse,
  reviewReasonsResponse,
  reviewResponse,
  waitQuery,
} from "../schemas.js";
import {
  callerFor,
  claim,
  decide,
  decideMany,
  decodeCursor,
  getReview,
  heartbeat,
  listReasons,
  listReviews,
  release,
  reviewEvents,
  type Caller,
} from "../../services/reviews.js";
import { getThread, waitForThread } from "../../services/threads.js";

const caller = (c: Context<ApiEnv>): Caller => callerFor(c.var.principal);

const reviewers = requireRole("reviewer", "admin");
const reviewPath = z.object({ reviewId: uuidParam });
const tags = ["reviews"];
const description = "Roles: reviewer, admin.";

const listRoute = createRoute({
  method: "get",
  path: "/",
  tags,
  summary: "The review queue: highest priority, then oldest, first",
  description,
  middleware: [reviewers] as const,
  request: { query: listReviewsQuery },
  responses: {
    200: { description: "A page of reviews", content: json(reviewListResponse) },
    ...errors.query,
  },
});

const reasonsRoute = createRoute({
  method: "get",
  path: "/reasons",
  tags,
  summary: "Pending items grouped by why they paused (to decide a group together)",
  description: `${description} Each group's \`reason_key\` is the \`reason_key\` filter of GET /reviews; decide the items it lists with POST /reviews/decisions.`,
  middleware: [reviewers] as const,
  responses: {
    200: { description: "Groups, largest first", content: json(reviewReasonsResponse) },
    ...errors.common,
  },
});

const getRoute = createRoute({
  method: "get",
  path: "/{reviewId}",
  tags,
  summary: "The review card",
  description,
  middleware: [reviewers] as const,
  request: { params: reviewPath },
  responses: { 200: { description: "The review", content: json(reviewResponse) }, ...errors.byId },
});

const eventsRoute = createRoute({
  method: "get",
  path: "/{reviewId}/events",
  tags,
  summary: "The review's audit trail: created, claimed, released, voted, decided …",
  description,
  middleware: [reviewers] as const,
  request: { params: reviewPath },
  responses: {
    200: { description: "Events, oldest first", content: json(reviewEventsResponse) },
    ...errors.byId,
  },
});

/** claim, heartbeat and release: the same shape, a different lease operation. */
const leaseRoute = (path: string, summary: string, done: string) =>
  createRoute({
    method: "post",
    path,
    tags,
    summary,
    description,
    middleware: [reviewers] as const,
    request: { params: reviewPath },
    responses: {
      200: { description: done, content: json(reviewResponse) },
      409: errors.conflict,
      ...errors.byId,
    },
  });

const decisionRoute = createRoute({
  method: "post",
  path: "/{reviewId}/decision",
  tags,
  summary: "Decide a review; the thread resumes",
  description: `${description} One decision wins; a second is a 409. With \`wait\`, the answer waits for the thread to pause again or finish.`,
  middleware: [reviewers] as const,
  request: { params: reviewPath, query: waitQuery, body: jsonRequestBody(decisionRequestBody) },
  responses: {
    200: { description: "Decided, or a vote recorded", content: json(decisionResponse) },
    409: errors.conflict,
    ...errors.body,
    404: errors.byId[404],
  },
});

const bulkDecisionRoute = createRoute({
  method: "post",
  path: "/decisions",
  tags,
  summary: "Approve or reject many reviews at once (items that share a reason)",
  description: `${description} Each item is decided as if alone: its own version check, claim check, approvals, decision, audit event and resume. A refused item (stale version, already decided, claimed by someone else) is reported in \`results\` and the others go ahead.`,
  middleware: [reviewers] as const,
  request: { body: jsonRequestBody(bulkDecisionBody) },
  responses: {
    200: { description: "Each item's outcome", content: json(bulkDecisionResponse) },
    ...errors.body,
  },
});

export function reviewRoutes() {
  const group = routeGroup();
  // claim, heartbeat and release: one shape each. A heartbeat renews only the caller's own
  // claim, so a stale tab never takes an item over.
  for (const [path, summary, done, lease] of [
    ["/{reviewId}/claim", "Claim the item (or renew your claim)", "Claimed", claim],
    ["/{reviewId}/heartbeat", "Renew your claim's lease", "Renewed", heartbeat],
    ["/{reviewId}/release", "Give the item back to the queue", "Released", release],
  ] as const) {
    group.openapi(leaseRoute(path, summary, done), async (c) =>
      c.json(await lease(c.var.services.reviews, c.req.valid("param").reviewId, caller(c)), 200),
    );
  }
  return (
    group
      .openapi(listRoute, async (c) => {
        const q = c.req.valid("query");
        const cursor = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
        if (q.cursor !== undefined && !cursor) {
          throw new ApiError(400, "invalid_cursor", "cursor is not one this API returned");
        }
        const assignee = q.assignee === "me" ? c.var.actor : q.assignee;
        return c.json(await listReviews(c.var.services.reviews, { ...q, assignee, cursor }), 200);
      })
      // Before /{reviewId}, which would take "reasons" for an id.
      .openapi(reasonsRoute, async (c) =>
        c.json({ items: await listReasons(c.var.services.reviews) }, 200),
      )
      .openapi(getRoute, async (c) =>
        c.json(await getReview(c.var.services.reviews, c.req.valid("param").reviewId), 200),
      )
      .openapi(eventsRoute, async (c) =>
        c.json({ items: await reviewEvents(c.var.db, c.req.valid("param").reviewId) }, 200),
      )
      .openapi(bulkDecisionRoute, async (c) => {
        const { items, decision } = c.req.valid("json");
        const results = await decideMany(c.var.services.reviews, items, decision, caller(c));
        const refused = results.filter((r) => r.outcome === "refused").length;
        return c.json({ decided: results.length - refused, refused, results }, 200);
      })
      .openapi(decisionRoute, async (c) => {
        const { reviewId } = c.req.valid("param");
        const { wait } = c.req.valid("query");
        const { version, ...decision } = c.req.valid("json");
        const { watch, ...result } = await decide(
          c.var.services.reviews,
          reviewId,
          decision,
          caller(c),
          { version, watchThread: wait !== undefined && wait > 0 },
        );
        try {
          const thread =
            watch && result.outcome === "decided"
              ? // The decision queued the resume run: the thread is not settled until it ends.
                await waitForThread(c.var.services.threads, result.thread_id, wait!, {
                  watch,
                  knownUnsettled: true,
                })
              : await getThread(c.var.db, result.thread_id);
          return c.json({ outcome: result.outcome, review: result.review, thread }, 200);
        } finally {
          watch?.close();
        }
      })
  );
}
