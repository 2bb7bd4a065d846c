import { OpenAPIHono, type OpenAPIHonoOptions } from "@hono/zod-openapi";
import { HTTPException } from "hono/http-exception";
import { z } from "zod";
import type { ApiEnv } from "./app.js";
import { ApiError } from "./errors.js";
import { errorResponse } from "./schemas.js";

/**
 * The kit every API route is written with. A route is a `createRoute({...})` declaration (its
 * params, query, headers, body, responses and errors) plus a handler; the same declaration
 * validates the request and is the route's entry in `/openapi.json`, so the two cannot drift.
 */

/** The zod issues as `{path, message}` pairs, for `error.details`. */
export function issueList(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((i) => ({ path: i.path.join(".") || "(root)", message: i.message }));
}

/**
 * A request that breaks its route's declaration is the client's mistake, answered in the API's
 * error shape: 422 for a body, 400 for a path id, a query parameter or a header.
 */
const refuseInvalid: NonNullable<OpenAPIHonoOptions<ApiEnv>["defaultHook"]> = (result, c) => {
  if (result.success) return;
  const details = issueList(result.error);
  switch (result.target) {
    case "json":
      // No Content-Type and no body: nothing was sent as JSON (the library checks it as `{}`).
      if (!JSON_TYPE.test(c.req.header("content-type") ?? "")) throw notJson();
      throw new ApiError(422, "validation_failed", "the request body is not valid", details);
    case "param":
      throw new ApiError(
        400,
        "invalid_id",
        details.map((d) => `${d.path} ${d.message}`).join("; "),
      );
    case "header":
      throw new ApiError(400, "invalid_header", details.map((d) => d.message).join("; "));
    default:
      throw new ApiError(400, "invalid_query", "the query parameters are not valid", details);
  }
};

/** A group of routes: mount it with `app.route(prefix, group)` and its declarations go along. */
export function routeGroup(): OpenAPIHono<ApiEnv> {
  return new OpenAPIHono<ApiEnv>({ defaultHook: refuseInvalid });
}

const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

const notJson = () =>
  new ApiError(
    415,
    "unsupported_media_type",
    "send the body as JSON with Content-Type: application/json",
  );

/**
 * The body checks that @hono/zod-openapi makes itself, after the path, query and headers (so a
 * bad id is still a 400 whatever the body), in the API's words: a body of another type is its
 * 415, a body that is not JSON Hono's 400. Undefined for anything else.
 */
export function bodyRefusal(error: unknown): ApiError | undefined {
  if (!(error instanceof HTTPException) || error instanceof ApiError) return undefined;
  if (error.status === 415) return notJson();
  if (error.status === 400 && error.message === "Malformed JSON in request body") {
    return new ApiError(400, "invalid_json", "the request body is not valid JSON");
  }
  return undefined;
}

/** `content` of a JSON request or response. */
export const json = <S extends z.ZodType>(schema: S) => ({
  "application/json": { schema },
});

/** A required JSON request body. */
export const jsonRequestBody = <S extends z.ZodType>(schema: S, description?: string) => ({
  required: true,
  content: json(schema),
  ...(description ? { description } : {}),
});

const failure = (description: string) => ({ description, content: json(errorResponse) });

/** The errors any route may answer (documented on every route). */
const common = {
  401: failure("No API key, or an unknown or revoked one (once any key exists)"),
  403: failure("The key's role may not do this, or a browser's cross-site change"),
  503: failure("The database cannot be reached; try again shortly"),
} as const;

/** The errors routes answer, by what they take in: add them to `responses`. */
export const errors = {
  common,
  /** A route with a UUID in its path: malformed ids are 400, unknown ones 404. */
  byId: {
    400: failure("Malformed id, query or header"),
    404: failure("No such item"),
    ...common,
  },
  /** A route with a query or headers only. */
  query: { 400: failure("Malformed query or header"), ...common },
  /** A route with a JSON body. */
  body: {
    400: failure("Malformed JSON, id, query or header"),
    413: failure("The body is too large"),
    415: failure("The body is not JSON"),
    422: failure("The body does not match the schema"),
    ...common,
  },
  conflict: failure("The item is not in a state that allows this"),
} as const;

/** A UUID path parameter (lower-cased, so ids compare equal however a client spells them). */
export const uuidParam = z.uuid({ error: "must be a UUID" }).transform((id) => id.toLowerCase());

/** `Idempotency-Key`: repeating a request with the same key returns the first result. */
export const idempotencyHeaders = z.object({
  "idempotency-key": z
    .string()
    .min(1, "Idempotency-Key must be 1 to 200 characters")
    .max(200, "Idempotency-Key must be 1 to 200 characters")
    .optional()
    .describe(
      "Repeating a request with the same key returns the first result instead of doing it again.",
    ),
});

/** The document's header; the paths come from the routes themselves. */
export const documentInfo: Parameters<OpenAPIHono<ApiEnv>["getOpenAPI31Document"]>[0] = {
  openapi: "3.1.0",
  info: {
    title: "signoff",
    version: "0.1.0",
    description:
      "Human-in-the-loop question answering: threads pause for a reviewer when the evidence or the answer is doubtful, and resume on their decision. Send an API key as `Authorization: Bearer <key>` (or `X-API-Key`); a server on loopback with no keys yet is open.",
  },
  security: [{ apiKey: [] }],
};
