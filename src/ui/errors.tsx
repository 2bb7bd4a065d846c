import type { Context } from "hono";
import { deleteCookie } from "hono/cookie";
import { HTTPException } from "hono/http-exception";
import type { ApiEnv } from "../api/app.js";
import { KEY_COOKIE, presentedKey } from "../api/auth.js";
import { ApiError, SERVICE_ERROR_STATUS } from "../api/errors.js";
import type { Principal } from "../auth/principal.js";
import { isDatabaseUnavailable } from "../db/errors.js";
import { ServiceError } from "../services/errors.js";
import { errorPage } from "./respond.js";

/** Whether a path is the page's, so its refusals and errors are answered as pages. */
export const isUiPath = (path: string): boolean => path === "/ui" || path.startsWith("/ui/");

function CannotReview(props: { principal: Principal | undefined; message: string }) {
  const { principal } = props;
  if (!principal) {
    return (
      <>
        {props.message}. The review page needs a <strong>reviewer</strong> or <strong>admin</strong>{" "}
        key: <a href="/ui/login">sign in with one</a>.
      </>
    );
  }
  return (
    <>
      You are signed in as <strong>{principal.name}</strong> with a{" "}
      <strong>{principal.role}</strong> key. The review page needs a <strong>reviewer</strong> or{" "}
      <strong>admin</strong> key: ask an admin for one, then <a href="/ui/login">sign in with it</a>
      .
    </>
  );
}

/**
 * How a refusal or failure looks on the page: the app's one `authenticate` refuses a browser as it
 * refuses any client, and this turns that into a page. A missing or dead key goes to the sign-in
 * page (a dead cookie is dropped, so the sign-in page is not skipped with it again); a key that may
 * not review gets a page saying so. Undefined: not the page's to answer (the app's handler logs it).
 */
export function uiErrorResponse(
  error: unknown,
  c: Context<ApiEnv>,
): Response | Promise<Response> | undefined {
  if (error instanceof ApiError && error.status === 401) {
    const presented = presentedKey(c);
    if (presented?.fromCookie) deleteCookie(c, KEY_COOKIE, { path: "/" });
    const target = new URL(c.req.url);
    const expired = presented ? "&expired=1" : "";
    return c.redirect(
      `/ui/login?next=${encodeURIComponent(target.pathname + target.search)}${expired}`,
      302,
    );
  }
  if (error instanceof ApiError && error.status === 403 && error.code === "forbidden") {
    const principal = c.get("principal") as Principal | undefined;
    return errorPage(
      c,
      403,
      "This key cannot review",
      <CannotReview principal={principal} message={error.message} />,
    );
  }
  if (error instanceof ServiceError && error.kind === "not_found") {
    return errorPage(
      c,
      404,
      "Not found",
      "This item does not exist. It may have been removed, or the link is wrong.",
    );
  }
  if (error instanceof HTTPException && error.status >= 400 && error.status < 500) {
    return errorPage(c, error.status, "That did not work", error.message);
  }
  if (error instanceof ServiceError) {
    return errorPage(c, SERVICE_ERROR_STATUS[error.kind], "That did not work", error.message);
  }
  // A page is answered with a page, also when the database is away; the app's handler logs it.
  if (isDatabaseUnavailable(error)) {
    return errorPage(
      c,
      503,
      "The database cannot be reached",
      "signoff cannot reach its database right now. Try again in a moment.",
    );
  }
  return undefined;
}
