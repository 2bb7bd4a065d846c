import type { Context } from "hono";
import { z } from "zod";
import { ApiError } from "./errors.js";

function issues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((i) => ({ path: i.path.join(".") || "(root)", message: i.message }));
}

/** Parses a JSON body: 415 if it is not JSON, 400 if it does not parse, 422 if it breaks the schema. */
export async function jsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
    throw new ApiError(
      415,
      "unsupported_media_type",
      "send the body as JSON with Content-Type: application/json",
    );
  }
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw new ApiError(400, "invalid_json", "the request body is not valid JSON");
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new ApiError(
      422,
      "validation_failed",
      "the request body is not valid",
      issues(parsed.error),
    );
  }
  return parsed.data;
}

/** Parses query parameters (400 when they are malformed). */
export function query<S extends z.ZodType>(c: Context, schema: S): z.infer<S> {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) {
    throw new ApiError(
      400,
      "invalid_query",
      "the query parameters are not valid",
      issues(parsed.error),
    );
  }
  return parsed.data;
}

const uuid = z.uuid();

/** A UUID path parameter (400 when it is not one). */
export function idParam(c: Context, name: string): string {
  const value = c.req.param(name);
  if (!uuid.safeParse(value).success) {
    throw new ApiError(400, "invalid_id", `${name} must be a UUID`);
  }
  return value!.toLowerCase();
}

const idempotencyKey = z.string().min(1).max(200);

export function idempotencyKeyHeader(c: Context): string | undefined {
  const value = c.req.header("idempotency-key");
  if (value === undefined) return undefined;
  if (!idempotencyKey.safeParse(value).success) {
    throw new ApiError(400, "invalid_header", "Idempotency-Key must be 1 to 200 characters");
  }
  return value;
}
