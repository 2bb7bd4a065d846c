import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { z } from "zod";
import { notFound } from "../../services/errors.js";
import { threadOwner } from "../../repositories/threads.js";
import type { ApiEnv } from "../app.js";
import { requireRole } from "../auth.js";
import { TOKEN_BODY_LIMIT_BYTES, TOKEN_CALLER } from "../feedback-token-access.js";
import {
  createThreadBody,
  errorResponse,
  feedbackBody,
  feedbackResponse,
  threadResponse,
  waitQuery,
} from "../schemas.js";
import {
  errors,
  idempotencyHeaders,
  json,
  jsonRequestBody,
  routeGroup,
  uuidParam,
} from "../openapi.js";
import { getThread, startThread, waitForThread, type ThreadView } from "../../services/threads.js";
import { recordUserFeedback } from "../../services/feedback.js";

/**
 * The thread as its owner sees it: with a fresh feedback token (for the widget) when the caller
 * started the thread; anyone else (a reviewer, an admin, another client) gets none.
 */
async function withFeedbackToken(
  c: Context<ApiEnv>,
  view: ThreadView,
  owner: string | undefined,
): Promise<ThreadView & { feedback_token?: string; feedback_token_expires_at?: string }> {
  if (owner === undefined || owner !== c.var.principal.id) return view;
  const { token, expires_at } = await c.var.threadTokens.issue(
    c.var.db,
    view.thread_id,
    "feedback",
  );
  return { ...view, feedback_token: token, feedback_token_expires_at: expires_at };
}

/**
 * A client key sees only the threads it started (others look like they do not exist). Returns
 * the owner when the caller could be it (only clients, admins and open mode start threads).
 */
async function assertCanRead(c: Context<ApiEnv>, threadId: string): Promise<string | undefined> {
  const principal = c.var.principal;
  if (!principal.open && principal.role !== "client" && principal.role !== "admin") return;
  const owner = await threadOwner(c.var.db, threadId);
  if (principal.open || principal.role !== "client") return owner;
  if (owner !== undefined && owner !== principal.id) throw notFound("thread", threadId);
  return owner;
}

const threadPath = z.object({ threadId: uuidParam });

const startThreadRoute = createRoute({
  method: "post",
  path: "/",
  tags: ["threads"],
  summary: "Ask a question; the thread runs in the background",
  description: "Roles: client, admin.",
  middleware: [requireRole("client", "admin")] as const,
  request: {
    query: waitQuery,
    headers: idempotencyHeaders,
    body: jsonRequestBody(createThreadBody),
  },
  responses: {
    202: { description: "Accepted: running in the background", content: json(threadResponse) },
    200: {
      description: "Same Idempotency-Key as an earlier request",
      content: json(threadResponse),
    },
    ...errors.body,
  },
});

const getThreadRoute = createRoute({
  method: "get",
  path: "/{threadId}",
  tags: ["threads"],
  summary: "A thread's status and answer",
  description: "Any role; a client key sees only the threads it started.",
  request: { params: threadPath, query: waitQuery },
  responses: {
    200: { description: "The thread", content: json(threadResponse) },
    ...errors.byId,
  },
});

const feedbackRoute = createRoute({
  method: "post",
  path: "/{threadId}/feedback",
  tags: ["threads"],
  summary: "Feedback on a finished answer (rating, reasons, correction)",
  description: [
    "Any role; a client key only on the threads it started.",
    "",
    "Or, with no key, the thread's `feedback_token` (given to its owner with the thread) in the",
    "`Signoff-Feedback-Token` header: what the feedback widget sends from any origin (CORS `*`,",
    `no credentials, a body of at most ${TOKEN_BODY_LIMIT_BYTES} bytes). A token counts once per`,
    "thread: a repeat answers 200 with the first feedback and stores nothing (Idempotency-Key is",
    "not needed). An expired, forged or altered token, or one for another thread, is a 401.",
  ].join("\n"),
  security: [{ apiKey: [] }, { feedbackToken: [] }] as Record<string, string[]>[],
  request: {
    params: threadPath,
    headers: idempotencyHeaders.extend({
      "signoff-feedback-token": z
        .string()
        .max(200)
        .optional()
        .describe("The thread's `feedback_token`, instead of an API key"),
    }),
    body: jsonRequestBody(feedbackBody),
  },
  responses: {
    201: { description: "Stored", content: json(feedbackResponse) },
    200: {
      description: "Same Idempotency-Key as earlier feedback, or the token's feedback already",
      content: json(feedbackResponse),
    },
    ...errors.body,
    404: errors.byId[404],
    409: { description: "The thread has not finished yet", content: json(errorResponse) },
  },
});

export function threadRoutes() {
  return routeGroup()
    .openapi(startThreadRoute, async (c) => {
      const { wait } = c.req.valid("query");
      const body = c.req.valid("json");
      const deps = c.var.services.threads;
      const { thread, created } = await startThread(
        deps,
        {
          question: body.question,
          metadata: body.metadata,
          idempotencyKey: c.req.valid("header")["idempotency-key"],
          caller: { id: c.var.principal.id, name: c.var.principal.name },
        },
        wait,
      );
      // The caller started (or, with the same Idempotency-Key, had started) this thread: its owner.
      const view = await withFeedbackToken(c, thread, c.var.principal.id);
      // 202: accepted and running in the background; a repeated Idempotency-Key answers 200.
      return created ? c.json(view, 202) : c.json(view, 200);
    })
    .openapi(getThreadRoute, async (c) => {
      const { threadId } = c.req.valid("param");
      const { wait } = c.req.valid("query");
      const deps = c.var.services.threads;
      const owner = await assertCanRead(c, threadId);
      const view = wait
        ? await waitForThread(deps, threadId, wait)
        : await getThread(c.var.db, threadId);
      return c.json(await withFeedbackToken(c, view, owner), 200);
    })
    .openapi(feedbackRoute, async (c) => {
      const { threadId } = c.req.valid("param");
      const grant = c.var.feedbackGrant;
      // A token was checked for this very thread; a key goes through the usual read check.
      if (!grant) await assertCanRead(c, threadId);
      const { created, ...rest } = await recordUserFeedback(
        c.var.db,
        threadId,
        c.req.valid("json"),
        grant ? TOKEN_CALLER : { id: c.var.principal.id, name: c.var.principal.name },
        // One end-user rating per thread by token: a widget's repeated submit, or anyone else
        // holding the token, gets the first one back instead of writing another.
        grant ? `thread:${threadId}` : c.req.valid("header")["idempotency-key"],
        grant ? "feedback_token" : "api_key",
      );
      return created ? c.json(rest, 201) : c.json(rest, 200);
    });
}
