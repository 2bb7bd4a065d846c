import { Hono, type Context } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import type { Child } from "hono/jsx";
import type { ApiEnv } from "../api/app.js";
import { KEY_COOKIE, openModeApplies, principalForKey, sameOriginRequest } from "../api/auth.js";
import { hasActiveKeys } from "../auth/keys.js";
import type { OpenModeGate } from "../auth/open-mode.js";
import { hasRole } from "../auth/principal.js";
import { uiAssets } from "./assets.js";
import { uiErrorResponse } from "./errors.js";
import { errorPage, sendPage } from "./respond.js";

/** How long the login cookie lasts: a working day. */
const COOKIE_MAX_AGE_SECONDS = 12 * 60 * 60;

/** Only paths of this page are followed after sign-in (never another site). */
function safeNext(value: string | undefined): string {
  // No control characters either: a line break in a Location header is a 500, or worse.
  return value &&
    /^\/ui(?:[/?#]|$)/.test(value) &&
    !value.startsWith("//") &&
    !value.includes("\\") &&
    !/[\u0000-\u001f\u007f]/.test(value)
    ? value
    : "/ui";
}

function isHttps(c: Context): boolean {
  const forwarded = c.req.header("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase();
  return forwarded === "https" || new URL(c.req.url).protocol === "https:";
}

type SignInState = "open" | "no_keys" | "keys";

/** Whether a browser must sign in: "open" (open mode), "no_keys" (no key yet, but open mode is off), "keys". */
async function signInState(c: Context<ApiEnv>, openMode: OpenModeGate): Promise<SignInState> {
  if (await openModeApplies(c, openMode, c.var.db)) return "open";
  return (await hasActiveKeys(c.var.db)) ? "keys" : "no_keys";
}

function SignInNote(props: { state?: SignInState }) {
  if (props.state === "open") {
    return (
      <div class="flash warn">
        No API keys exist yet, so this local server is open without signing in.{" "}
        <a href="/ui">Go to the queue</a>.
      </div>
    );
  }
  if (props.state === "no_keys") {
    return (
      <div class="flash warn">
        No API keys exist yet. An admin creates one on the server with{" "}
        <code>npm run keys -- create --role reviewer --name your-name</code>.
      </div>
    );
  }
  return null;
}

function LoginForm(props: { next: string; error?: Child; state?: SignInState }) {
  return (
    <section class="panel login" aria-labelledby="login-title">
      <h1 id="login-title">Sign in to review</h1>
      {props.error && (
        <div class="flash error" role="alert">
          {props.error}
        </div>
      )}
      <SignInNote state={props.state} />
      <form method="post" action="/ui/login">
        <input type="hidden" name="next" value={props.next} />
        <div class="field">
          <label for="key">Your reviewer key</label>
          <input
            type="password"
            id="key"
            name="key"
            autocomplete="current-password"
            required
            autofocus
            spellcheck={false}
            maxlength={500}
          />
          <span class="hint">
            Paste the key an admin gave you (it starts with <code>so_reviewer_</code> or{" "}
            <code>so_admin_</code>). It is kept in a cookie on this browser for 12 hours.
          </span>
        </div>
        <button type="submit" class="primary">
          Sign in
        </button>
      </form>
    </section>
  );
}

/**
 * The page's public routes, mounted before the app's `authenticate`: signing in and out, and the
 * page's static files (the sign-in page needs the stylesheet before anyone has a key).
 * `openMode` is the gate the API uses, so the sign-in page says what the API would do.
 */
export function uiPublicRoutes(openMode: OpenModeGate): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.onError((error, c) => {
    const page = uiErrorResponse(error, c);
    if (page) return page;
    throw error;
  });
  // Bundled now, so the first page does not wait for it (a failure shows on that page instead).
  uiAssets().catch(() => undefined);

  app.get("/assets/:name", async (c) => {
    const asset = (await uiAssets()).files.get(c.req.param("name"));
    if (!asset) return c.text("no such file", 404);
    // Content-hashed names: a file never changes under its name.
    return c.body(asset.body, 200, {
      "Content-Type": asset.contentType,
      "Cache-Control": "public, max-age=31536000, immutable",
      "X-Content-Type-Options": "nosniff",
    });
  });

  app.get("/login", async (c) => {
    const state = await signInState(c, openMode);
    const expired = c.req.query("expired")
      ? "Your key is no longer valid (it was revoked, or the sign-in expired). Sign in again."
      : undefined;
    return sendPage(
      c,
      200,
      "Sign in",
      <LoginForm next={safeNext(c.req.query("next"))} state={state} error={expired} />,
    );
  });

  app.post("/login", async (c) => {
    if (!sameOriginRequest(c))
      return errorPage(c, 403, "Refused", "Sign in from the signoff page itself.");
    const form = await c.req.parseBody();
    const key = typeof form.key === "string" ? form.key.trim() : "";
    const next = safeNext(typeof form.next === "string" ? form.next : undefined);
    const principal = key ? await principalForKey(c.var.db, key) : undefined;
    if (!principal) {
      const error =
        "That key is not valid: it is unknown or has been revoked. Check that you pasted all of it.";
      return sendPage(c, 401, "Sign in", <LoginForm next={next} error={error} />);
    }
    if (!hasRole(principal, ["reviewer", "admin"])) {
      const error = (
        <>
          <strong>{principal.name}</strong> is a <strong>{principal.role}</strong> key, for
          applications. The review page needs a reviewer or admin key: ask an admin for one.
        </>
      );
      return sendPage(c, 403, "Sign in", <LoginForm next={next} error={error} />);
    }
    setCookie(c, KEY_COOKIE, key, {
      httpOnly: true,
      sameSite: "Strict",
      path: "/",
      secure: isHttps(c),
      maxAge: COOKIE_MAX_AGE_SECONDS,
    });
    return c.redirect(next, 303);
  });

  app.post("/logout", (c) => {
    if (!sameOriginRequest(c))
      return errorPage(c, 403, "Refused", "Sign out from the signoff page itself.");
    deleteCookie(c, KEY_COOKIE, { path: "/", secure: isHttps(c) });
    return c.redirect("/ui/login", 303);
  });
  return app;
}
