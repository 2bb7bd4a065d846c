import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { ThreadTokens } from "../services/thread-tokens.js";
import type { ApiEnv } from "./app.js";
import { ApiError } from "./errors.js";

/**
 * The one door a browser without an API key may use: `POST /threads/:id/feedback` with the
 * thread's feedback token in `Signoff-Feedback-Token`. Mounted on that path only, before CORS and
 * `authenticate`, so the token can authorize nothing else, and on its own thread only.
 *
 * CORS: the widget runs on any site, so this path answers any origin, without credentials (no
 * cookie is ever sent or honoured cross-origin) and for the token's headers only; an origin
 * listed in CORS_ORIGINS keeps the general rules (keys in headers). Everything else keeps its
 * CORS and CSRF rules as they were.
 */

export const FEEDBACK_TOKEN_HEADER = "signoff-feedback-token";

/** Who an end user with a token is: the actor of their feedback and the idempotency scope. */
export const TOKEN_CALLER = { id: "feedback-token", name: "end-user" } as const;

/** A widget posts a rating and a few lines of text: far less than the API's general body limit. */
export const TOKEN_BODY_LIMIT_BYTES = 16 * 1024;

const WIDGET_CORS_HEADERS = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Methods": "POST, OPTIONS",
  "Access-Control-Allow-Headers": `content-type, ${FEEDBACK_TOKEN_HEADER}, idempotency-key`,
  "Access-Control-Expose-Headers": "x-request-id",
  "Access-Control-Max-Age": "600",
};

const REFUSALS = {
  malformed: "the feedback token is not one signoff issued",
  bad_signature: "the feedback token's signature does not match (forged or altered)",
  wrong_purpose: "this token is not a feedback token",
  wrong_thread: "the feedback token is for another thread",
  expired: "the feedback token has expired; get the thread again for a new one",
} as const;

export function feedbackTokenAccess(
  tokens: ThreadTokens,
  corsOrigins: readonly string[],
): MiddlewareHandler<ApiEnv> {
  const listed = (origin: string | undefined) =>
    origin !== undefined && corsOrigins.includes(origin);
  const limit = bodyLimit({
    maxSize: TOKEN_BODY_LIMIT_BYTES,
    onError: (c) =>
      c.json(
        new ApiError(
          413,
          "payload_too_large",
          `feedback with a token is at most ${TOKEN_BODY_LIMIT_BYTES} bytes`,
        ).body(),
        413,
      ),
  });
  return async (c, next) => {
    const origin = c.req.header("origin");
    if (c.req.method === "OPTIONS") {
      if (listed(origin)) return next();
      return c.body(null, 204, WIDGET_CORS_HEADERS);
    }
    const token = c.req.header(FEEDBACK_TOKEN_HEADER);
    if (token === undefined || c.req.method !== "POST") return next();
    // On every answer to a token request, refusals included, so the widget can read them.
    for (const [name, value] of Object.entries(WIDGET_CORS_HEADERS)) c.header(name, value);
    const threadId = c.req.param("threadId") ?? "";
    const verdict = await tokens.verify(c.var.db, token.trim(), { purpose: "feedback", threadId });
    if (!verdict.ok) throw new ApiError(401, "invalid_feedback_token", REFUSALS[verdict.refusal]);
    c.set("feedbackGrant", { threadId: threadId.toLowerCase() });
    c.set("principal", { ...TOKEN_CALLER, role: "client", domains: [], open: false });
    c.set("actor", TOKEN_CALLER.name);
    return limit(c, next);
  };
}
