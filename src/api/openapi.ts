import { z } from "zod";
import * as s from "./schemas.js";

const json = (schema: z.ZodType, io: "input" | "output" = "output") => ({
  "application/json": { schema: z.toJSONSchema(schema, { io, unrepresentable: "any" }) },
});

const error = (description: string) => ({ description, content: json(s.errorResponse) });

const uuidParam = (name: string) => ({
  name,
  in: "path",
  required: true,
  schema: { type: "string", format: "uuid" },
});

const waitParam = {
  name: "wait",
  in: "query",
  required: false,
  description: "Seconds (0-60) to wait for the thread to pause for review or finish.",
  schema: { type: "number", minimum: 0, maximum: 60 },
};

const idempotencyHeader = {
  name: "Idempotency-Key",
  in: "header",
  required: false,
  description:
    "Repeating a request with the same key returns the first result instead of doing it again.",
  schema: { type: "string", maxLength: 200 },
};

const badInput = {
  "400": error("Malformed request: invalid JSON, id, query or header"),
  "401": error("No API key, or an unknown or revoked one (once any key exists)"),
  "403": error("The key's role may not do this"),
  "413": error("Body too large"),
  "415": error("Body is not JSON"),
  "422": error("Body does not match the schema"),
  "503": error("Database unavailable"),
};

let cached: Record<string, unknown> | undefined;

/** The OpenAPI 3.1 document, generated from the same zod schemas that validate requests. */
export function openApiDocument(): Record<string, unknown> {
  cached ??= {
    openapi: "3.1.0",
    info: {
      title: "signoff",
      version: "0.1.0",
      description:
        "Human-in-the-loop question answering: threads pause for a reviewer when the evidence or the answer is doubtful, and resume on their decision.",
    },
    paths: {
      "/threads": {
        post: {
          summary: "Ask a question; the thread runs in the background",
          parameters: [waitParam, idempotencyHeader],
          requestBody: { required: true, content: json(s.createThreadBody, "input") },
          responses: {
            "202": { description: "Accepted", content: json(s.threadResponse) },
            "200": {
              description: "Same Idempotency-Key as an earlier request",
              content: json(s.threadResponse),
            },
            ...badInput,
          },
        },
      },
      "/threads/{threadId}": {
        get: {
          summary: "A thread's status and answer",
          parameters: [uuidParam("threadId"), waitParam],
          responses: {
            "200": { description: "The thread", content: json(s.threadResponse) },
            "404": error("No such thread"),
            ...badInput,
          },
        },
      },
      "/threads/{threadId}/feedback": {
        post: {
          summary: "Feedback on a finished answer (rating, reasons, correction)",
          parameters: [uuidParam("threadId"), idempotencyHeader],
          requestBody: { required: true, content: json(s.feedbackBody, "input") },
          responses: {
            "201": { description: "Stored", content: json(s.feedbackResponse) },
            "200": {
              description: "Same Idempotency-Key as earlier feedback",
              content: json(s.feedbackResponse),
            },
            "404": error("No such thread"),
            "409": error("The thread has not finished"),
            ...badInput,
          },
        },
      },
      "/reviews": {
        get: {
          summary: "The review queue: highest priority, then oldest, first",
          parameters: [
            {
              name: "status",
              in: "query",
              schema: { type: "string", enum: ["pending", "decided"] },
            },
            {
              name: "stage",
              in: "query",
              schema: { type: "string", enum: ["retrieval", "answer"] },
            },
            {
              name: "risk_tier",
              in: "query",
              schema: { type: "string", enum: ["low", "medium", "high"] },
            },
            {
              name: "queue",
              in: "query",
              schema: { type: "string", enum: ["main", "escalation"] },
            },
            {
              name: "assignee",
              in: "query",
              schema: { type: "string" },
              description: '"me", "none" (unclaimed) or a reviewer\'s name',
            },
            {
              name: "older_than",
              in: "query",
              schema: { type: "integer", minimum: 0 },
              description: "only items waiting at least this many seconds",
            },
            {
              name: "limit",
              in: "query",
              schema: { type: "integer", minimum: 1, maximum: 100, default: 20 },
            },
            {
              name: "cursor",
              in: "query",
              schema: { type: "string" },
              description: "next_cursor of the previous page",
            },
          ],
          responses: {
            "200": { description: "A page of reviews", content: json(s.reviewListResponse) },
            ...badInput,
          },
        },
      },
      "/reviews/{reviewId}": {
        get: {
          summary: "The review card",
          parameters: [uuidParam("reviewId")],
          responses: {
            "200": { description: "The review", content: json(s.reviewResponse) },
            "404": error("No such review"),
            ...badInput,
          },
        },
      },
      "/reviews/{reviewId}/decision": {
        post: {
          summary: "Decide a review; the thread resumes",
          parameters: [uuidParam("reviewId"), waitParam],
          requestBody: { required: true, content: json(s.decisionRequestDoc, "input") },
          responses: {
            "200": {
              description:
                "Accepted: `outcome` is decided, vote_recorded (more approvals needed) or escalated (reviewers disagreed)",
              content: json(s.decisionResponse),
            },
            "404": error("No such review"),
            "409": error(
              "Already decided, claimed by someone else, stale version, already voted, or escalated to an admin",
            ),
            ...badInput,
            "422": error("The decision is malformed or not allowed on this review"),
          },
        },
      },
      "/reviews/{reviewId}/events": {
        get: {
          summary:
            "The review's audit trail (append-only): created, claimed, released, expired, escalated, voted, decided",
          parameters: [uuidParam("reviewId")],
          responses: {
            "200": { description: "Events, oldest first", content: json(s.reviewEventsResponse) },
            "404": error("No such review"),
            ...badInput,
          },
        },
      },
      "/reviews/{reviewId}/claim": {
        post: {
          summary:
            "Claim the item: a lease (CLAIM_LEASE_SECONDS) during which only you (or an admin) can decide it",
          parameters: [uuidParam("reviewId")],
          responses: {
            "200": { description: "Claimed (or renewed)", content: json(s.reviewResponse) },
            "404": error("No such review"),
            "409": error("Claimed by someone else, or already decided"),
            ...badInput,
          },
        },
      },
      "/reviews/{reviewId}/heartbeat": {
        post: {
          summary: "Renew your claim's lease",
          parameters: [uuidParam("reviewId")],
          responses: {
            "200": { description: "Renewed", content: json(s.reviewResponse) },
            "404": error("No such review"),
            "409": error("Claimed by someone else, or already decided"),
            ...badInput,
          },
        },
      },
      "/reviews/{reviewId}/release": {
        post: {
          summary: "Give the item back to the queue",
          parameters: [uuidParam("reviewId")],
          responses: {
            "200": { description: "Released", content: json(s.reviewResponse) },
            "404": error("No such review"),
            "409": error("Not claimed, or claimed by someone else"),
            ...badInput,
          },
        },
      },
      "/keys": {
        get: {
          summary: "API keys (admin): names, roles, prefixes; never the keys",
          responses: {
            "200": { description: "Keys", content: json(s.keyListResponse) },
            ...badInput,
          },
        },
        post: {
          summary: "Create an API key (admin); the key is in this response only",
          requestBody: { required: true, content: json(s.createKeyBody, "input") },
          responses: {
            "201": { description: "Created", content: json(s.createdKeyResponse) },
            "409": error("An active key has that name"),
            ...badInput,
          },
        },
      },
      "/keys/{keyId}": {
        delete: {
          summary: "Revoke an API key (admin)",
          parameters: [uuidParam("keyId")],
          responses: {
            "200": { description: "Revoked", content: json(s.keyResponse) },
            "404": error("No such active key"),
            ...badInput,
          },
        },
      },
      "/metrics": {
        get: {
          summary: "Prometheus metrics (metrics or admin key)",
          responses: {
            "200": {
              description: "Prometheus text format",
              content: { "text/plain": { schema: { type: "string" } } },
            },
            "401": error("No API key"),
            "403": error("Not a metrics or admin key"),
          },
        },
      },
      "/datasets/export": {
        get: {
          summary:
            "Human-labelled examples as NDJSON in the LangSmith example shape (reviewer or admin)",
          parameters: [
            {
              name: "since",
              in: "query",
              schema: { type: "string", format: "date-time" },
              description: "only signals (decisions, feedback) since then",
            },
            {
              name: "test_share",
              in: "query",
              schema: { type: "number", minimum: 0, maximum: 1, default: 0.2 },
            },
            { name: "split", in: "query", schema: { type: "string", enum: ["train", "test"] } },
          ],
          responses: {
            "200": {
              description: "One `{inputs, outputs, metadata}` example per line",
              content: { "application/x-ndjson": { schema: { type: "string" } } },
            },
            ...badInput,
          },
        },
      },
      "/documents": {
        post: {
          summary: "Add a document to the knowledge base",
          requestBody: { required: true, content: json(s.createDocumentBody, "input") },
          responses: {
            "201": { description: "Added", content: json(s.documentResponse) },
            "200": {
              description: "The same document was already there",
              content: json(s.documentResponse),
            },
            ...badInput,
          },
        },
      },
      "/healthz": {
        get: {
          summary: "Liveness",
          responses: { "200": { description: "Alive", content: json(s.healthResponse) } },
        },
      },
      "/readyz": {
        get: {
          summary: "Readiness: database reachable and migrations applied",
          responses: {
            "200": { description: "Ready", content: json(s.readinessResponse) },
            "503": { description: "Not ready", content: json(s.readinessResponse) },
          },
        },
      },
    },
  };
  return cached;
}
