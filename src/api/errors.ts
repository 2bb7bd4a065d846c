import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ServiceErrorKind } from "../services/errors.js";

/** The one error shape of the API: `{error: {code, message, details?}}`. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export class ApiError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(status, { message });
  }

  body(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details !== undefined ? { details: this.details } : {}),
      },
    };
  }
}

/** The HTTP status of what a service says went wrong: chosen here, at the edge, for API and page. */
export const SERVICE_ERROR_STATUS = {
  not_found: 404,
  conflict: 409,
  invalid: 422,
  forbidden: 403,
} as const satisfies Record<ServiceErrorKind, ContentfulStatusCode>;

/**
 * Postgres "data exception" errors (SQLSTATE class 22: a NUL byte in text, a value out of
 * range …) are caused by what the client sent, so they are the client's 422, not a 500.
 */
export function isDataException(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  // Class 54 (program limit exceeded: too deeply nested, too complex) is the input's doing too.
  return typeof code === "string" && /^(22|54)[0-9A-Z]{3}$/.test(code);
}

export { isDatabaseUnavailable } from "../db/errors.js";
