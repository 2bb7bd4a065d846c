import { randomBytes } from "node:crypto";
import { Scalar } from "@scalar/hono-api-reference";
import type { MiddlewareHandler } from "hono";
import type { ApiEnv } from "./app.js";

/**
 * Interactive API docs (Scalar) at /docs, over /openapi.json. The page runs Scalar's script on
 * this origin, where a reviewer's sign-in cookie works, so the script is pinned to one version
 * (never "latest" from the CDN) and only scripts carrying this response's nonce may run.
 */
export const SCALAR_VERSION = "1.76.0";
const SCALAR_SCRIPT = `https://cdn.jsdelivr.net/npm/@scalar/api-reference@${SCALAR_VERSION}`;

export function apiDocs(): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const nonce = randomBytes(16).toString("base64");
    c.header(
      "Content-Security-Policy",
      [
        "default-src 'none'",
        `script-src 'nonce-${nonce}'`,
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
      ].join("; "),
    );
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Referrer-Policy", "no-referrer");
    const page = Scalar<ApiEnv>({
      url: "/openapi.json",
      pageTitle: "signoff API",
      cdn: SCALAR_SCRIPT,
      nonce,
      withDefaultFonts: false,
    });
    return page(c, next);
  };
}
