import { cors } from "hono/cors";

/**
 * CORS for the browser apps that call signoff from another origin (Agent Inbox, Agent Chat UI,
 * Studio): the origins in CORS_ORIGINS, the headers the LangGraph SDK sends, and the response
 * headers it reads. Keys travel in headers, never cookies, so no credentials.
 */
export function corsFor(origins: readonly string[]) {
  const any = origins.includes("*");
  return cors({
    origin: any ? "*" : (origin) => (origins.includes(origin) ? origin : null),
    allowMethods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
    allowHeaders: [
      "authorization",
      "content-type",
      "x-api-key",
      "last-event-id",
      "idempotency-key",
      "x-auth-scheme",
    ],
    exposeHeaders: ["content-location", "x-pagination-total", "x-pagination-next", "x-request-id"],
    maxAge: 600,
  });
}
