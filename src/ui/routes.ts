import { randomBytes } from "node:crypto";
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";
import type { ApiEnv } from "../api/app.js";
import { KEY_COOKIE, loopbackRequest } from "../api/auth.js";
import { findActiveKey, hasActiveKeys } from "../auth/keys.js";
import { OpenModeGate } from "../auth/open-mode.js";
import { hasRole, OPEN_MODE_PRINCIPAL, type Principal } from "../auth/principal.js";
import { ServiceError } from "../services/errors.js";
import { isDatabaseUnavailable } from "../db/errors.js";
import { decodeCursor, getReview, listReviews, type ReviewView } from "../services/reviews.js";
import type { QueueCursor } from "../repositories/reviews.js";
import { COMMON_JS, DIFF_JS, QUEUE_JS, REVIEW_JS } from "./client.js";
import { DECISION_WORDS } from "./format.js";
import { html, type SafeHtml } from "./html.js";
import { page } from "./layout.js";
import { filterQuery, listFilter, queueBody, readFilter } from "./queue.js";
import { reviewBody } from "./review.js";

const PAGE_SIZE = 25;
/** How long the login cookie lasts: a working day. */
const COOKIE_MAX_AGE_SECONDS = 12 * 60 * 60;
const uuid = z.uuid();

// ---------- responses ----------

/** Sends a page with a per-response script nonce: only the page's own inline scripts run. */
function send(
  c: Context<ApiEnv>,
  status: ContentfulStatusCode,
  title: string,
  body: SafeHtml,
  script?: string,
) {
  const nonce = randomBytes(16).toString("base64");
  c.header(
    "Content-Security-Policy",
    [
      "default-src 'self'",
      `script-src 'nonce-${nonce}'`,
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data:",
      "connect-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ].join("; "),
  );
  c.header("X-Content-Type-Options", "nosniff");
  c.header("Referrer-Policy", "no-referrer");
  c.header("Cache-Control", "no-store");
  const principal = c.get("principal") as Principal | undefined;
  return c.html(page({ title, nonce, principal, body, script }).value, status);
}

function errorPage(
  c: Context<ApiEnv>,
  status: ContentfulStatusCode,
  title: string,
  message: SafeHtml,
) {
  return send(
    c,
    status,
    title,
    html`<section class="panel login" style="max-width:40rem">
      <h1>${title}</h1>
      <p>${message}</p>
      <p><a href="/ui">Go to the queue</a></p>
    </section>`,
  );
}

// ---------- sign-in ----------

function presentedKey(c: Context): { key: string; fromCookie: boolean } | undefined {
  const bearer = c.req.header("authorization")?.match(/^Bearer\s+(\S+)$/i)?.[1];
  const header = bearer ?? c.req.header("x-api-key");
  if (header) return { key: header, fromCookie: false };
  const cookie = getCookie(c, KEY_COOKIE);
  return cookie ? { key: cookie, fromCookie: true } : undefined;
}

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

/** Form posts must come from this page: the Origin's host (or Sec-Fetch-Site) must be ours. */
function sameOrigin(c: Context): boolean {
  const origin = c.req.header("origin");
  if (origin && origin !== "null") {
    try {
      return new URL(origin).host === (c.req.header("host") ?? new URL(c.req.url).host);
    } catch {
      return false;
    }
  }
  const site = c.req.header("sec-fetch-site");
  return site === undefined || site === "same-origin" || site === "none";
}

type SignInState = "open" | "no_keys" | "keys";

/** Whether a browser must sign in: "open" (open mode), "no_keys" (no key yet, but open mode is off), "keys". */
async function signInState(c: Context<ApiEnv>, openMode: OpenModeGate): Promise<SignInState> {
  const pool = c.var.db;
  if (loopbackRequest(c) && (await openMode.isOpen(pool))) return "open";
  return (await hasActiveKeys(pool)) ? "keys" : "no_keys";
}

function loginForm(options: { next: string; error?: SafeHtml; state?: SignInState }): SafeHtml {
  return html`<section class="panel login" aria-labelledby="login-title">
    <h1 id="login-title">Sign in to review</h1>
    ${options.error ? html`<div class="flash error" role="alert">${options.error}</div>` : ""}
    ${
      options.state === "open"
        ? html`<div class="flash warn">
            No API keys exist yet, so this local server is open without signing in.
            <a href="/ui">Go to the queue</a>.
          </div>`
        : options.state === "no_keys"
          ? html`<div class="flash warn">
              No API keys exist yet. An admin creates one on the server with
              <code>npm run keys -- create --role reviewer --name your-name</code>.
            </div>`
          : ""
    }
    <form method="post" action="/ui/login">
      <input type="hidden" name="next" value="${options.next}" />
      <div class="field">
        <label for="key">Your reviewer key</label>
        <input
          type="password"
          id="key"
          name="key"
          autocomplete="current-password"
          required
          autofocus
          spellcheck="false"
          maxlength="500"
        />
        <span class="hint"
          >Paste the key an admin gave you (it starts with <code>so_reviewer_</code> or
          <code>so_admin_</code>). It is kept in a cookie on this browser for 12 hours.</span
        >
      </div>
      <button type="submit" class="primary">Sign in</button>
    </form>
  </section>`;
}

/**
 * Resolves the caller exactly as the API's authenticate() does (a key in the Authorization or
 * X-API-Key header, or the signoff_key cookie; open mode only with no key at all, no active key
 * and the open-mode gate), but answers a browser: no valid key → the sign-in page, a key without the
 * reviewer or admin role → a 403 page.
 */
function uiAuth(openMode: OpenModeGate): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const pool = c.var.db;
    const presented = presentedKey(c);
    let principal: Principal | undefined;
    if (presented) {
      const row = await findActiveKey(pool, presented.key);
      if (row) principal = { id: row.key_id, name: row.name, role: row.role, open: false };
    } else if (loopbackRequest(c) && (await openMode.isOpen(pool))) {
      principal = OPEN_MODE_PRINCIPAL;
    }
    if (!principal) {
      // An unknown or revoked key is dropped, so the sign-in page is not skipped with it again.
      if (presented?.fromCookie) deleteCookie(c, KEY_COOKIE, { path: "/" });
      const target = new URL(c.req.url);
      const expired = presented ? "&expired=1" : "";
      return c.redirect(
        `/ui/login?next=${encodeURIComponent(target.pathname + target.search)}${expired}`,
        302,
      );
    }
    c.set("principal", principal);
    c.set("actor", principal.name);
    if (!hasRole(principal, ["reviewer", "admin"])) {
      return errorPage(
        c,
        403,
        "This key cannot review",
        html`You are signed in as <strong>${principal.name}</strong> with a
          <strong>${principal.role}</strong> key. The review page needs a
          <strong>reviewer</strong> or <strong>admin</strong> key: ask an admin for one, then
          <a href="/ui/login">sign in with it</a>.`,
      );
    }
    await next();
  };
}

// ---------- helpers for the pages ----------

function cursorOf(view: Pick<ReviewView, "priority" | "created_at" | "review_id">): QueueCursor {
  return { priority: view.priority, created_at: view.created_at, review_id: view.review_id };
}

/** A one-line confirmation of the decision just made on `reviewId` (read back from the database). */
async function confirmation(c: Context<ApiEnv>, reviewId: string | undefined): Promise<SafeHtml> {
  if (!reviewId || !uuid.safeParse(reviewId).success) return html``;
  let view: ReviewView;
  try {
    view = await getReview(c.var.services.reviews, reviewId);
  } catch {
    return html``;
  }
  const me = c.var.actor;
  const question = view.question.length > 140 ? `${view.question.slice(0, 140)}…` : view.question;
  if (view.status === "decided") {
    const words = DECISION_WORDS[view.decision_type ?? ""] ?? "decided";
    const who = view.decided_by === me ? "You" : (view.decided_by ?? "Someone");
    return html`<div class="flash ok" role="status" id="confirmation">
      <strong>Done.</strong> ${who} ${words}: “${question}”.
      ${
        view.decision_type === "revise"
          ? "A new version will come back to the queue."
          : "The thread is resuming."
      }
    </div>`;
  }
  if (view.queue === "escalation" && view.approvals.votes.some((v) => v.actor === me)) {
    return html`<div class="flash warn" role="status" id="confirmation">
      Your decision on “${question}” disagreed with an earlier approval, so the item went to the
      escalation queue for an admin.
    </div>`;
  }
  if (view.approvals.votes.some((v) => v.actor === me)) {
    const approvals = view.approvals.votes.filter((v) => v.decision_type === "approve").length;
    return html`<div class="flash ok" role="status" id="confirmation">
      Your approval of “${question}” was recorded (${approvals} of ${view.approvals.required}). It
      is sent once another reviewer approves it too.
    </div>`;
  }
  return html``;
}

export interface UiOptions {
  /**
   * Open development mode, the same gate the API's authenticate() uses; off unless the app
   * passes it, so the page is never more open than the API.
   */
  openMode?: OpenModeGate;
}

export function uiRoutes(options: UiOptions = {}): Hono<ApiEnv> {
  const openMode = options.openMode ?? new OpenModeGate(false);
  const app = new Hono<ApiEnv>();

  app.onError((error, c) => {
    if (error instanceof ServiceError && error.status === 404) {
      return errorPage(
        c,
        404,
        "Not found",
        html`This item does not exist. It may have been removed, or the link is wrong.`,
      );
    }
    if (error instanceof HTTPException && error.status >= 400 && error.status < 500) {
      return errorPage(c, error.status, "That did not work", html`${error.message}`);
    }
    if (error instanceof ServiceError && error.status < 500) {
      return errorPage(c, error.status, "That did not work", html`${error.message}`);
    }
    // A page is answered with a page, also when the database is away; the app's handler logs it.
    if (isDatabaseUnavailable(error)) {
      return errorPage(
        c,
        503,
        "The database cannot be reached",
        html`signoff cannot reach its database right now. Try again in a moment.`,
      );
    }
    // Anything else goes to the app's handler, which logs it.
    throw error;
  });

  // Sign-in and sign-out come before the authentication below.
  app.get("/login", async (c) => {
    const state = await signInState(c, openMode);
    const expired = c.req.query("expired")
      ? html`Your key is no longer valid (it was revoked, or the sign-in expired). Sign in again.`
      : undefined;
    return send(
      c,
      200,
      "Sign in",
      loginForm({ next: safeNext(c.req.query("next")), state, error: expired }),
    );
  });

  app.post("/login", async (c) => {
    if (!sameOrigin(c))
      return errorPage(c, 403, "Refused", html`Sign in from the signoff page itself.`);
    const form = await c.req.parseBody();
    const key = typeof form.key === "string" ? form.key.trim() : "";
    const next = safeNext(typeof form.next === "string" ? form.next : undefined);
    const row =
      key && key.length <= 500 ? await findActiveKey(c.var.db, key) : undefined;
    if (!row) {
      return send(
        c,
        401,
        "Sign in",
        loginForm({
          next,
          error: html`That key is not valid: it is unknown or has been revoked. Check that you
          pasted all of it.`,
        }),
      );
    }
    if (row.role !== "reviewer" && row.role !== "admin") {
      return send(
        c,
        403,
        "Sign in",
        loginForm({
          next,
          error: html`<strong>${row.name}</strong> is a <strong>${row.role}</strong> key, for
            applications. The review page needs a reviewer or admin key: ask an admin for one.`,
        }),
      );
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
    if (!sameOrigin(c))
      return errorPage(c, 403, "Refused", html`Sign out from the signoff page itself.`);
    deleteCookie(c, KEY_COOKIE, { path: "/", secure: isHttps(c) });
    return c.redirect("/ui/login", 303);
  });

  app.use("*", uiAuth(openMode));

  // The queue.
  app.get("/", async (c) => {
    const filter = readFilter((n) => c.req.query(n));
    const rawCursor = c.req.query("cursor");
    const cursor = rawCursor ? decodeCursor(rawCursor) : undefined;
    if (rawCursor && !cursor) {
      return errorPage(
        c,
        400,
        "This page link does not work",
        html`The link to this page of the queue is damaged or out of date.
          <a href="/ui">Go to the start of the queue</a>.`,
      );
    }
    const deps = c.var.services.reviews;
    const { items, next_cursor } = await listReviews(deps, {
      ...listFilter(filter, c.var.actor),
      limit: PAGE_SIZE,
      cursor,
    });
    const body = queueBody({
      items,
      filter,
      me: c.var.actor,
      now: deps.now(),
      nextCursor: next_cursor,
      paged: cursor !== undefined,
      flash: await confirmation(c, c.req.query("done")),
    });
    return send(c, 200, "Review queue", body, COMMON_JS + QUEUE_JS);
  });

  // After a decision: the next pending item after this one (wrapping round), not claimed by someone else.
  app.get("/next", async (c) => {
    const filter = readFilter((n) => c.req.query(n));
    const after = c.req.query("after");
    const deps = c.var.services.reviews;
    const me = c.var.actor;
    const base = listFilter(filter, me);
    let current: ReviewView | undefined;
    if (after && uuid.safeParse(after).success) {
      current = await getReview(deps, after).catch(() => undefined);
    }
    const pick = (items: { review_id: string; claimed_by: string | null }[]) =>
      items.find((i) => i.review_id !== after && (!i.claimed_by || i.claimed_by === me));
    let next = current
      ? pick((await listReviews(deps, { ...base, cursor: cursorOf(current), limit: 50 })).items)
      : undefined;
    next ??= pick((await listReviews(deps, { ...base, limit: 50 })).items);
    const query = filterQuery(filter, { done: current?.review_id });
    return c.redirect(next ? `/ui/reviews/${next.review_id}${query}` : `/ui${query}`, 303);
  });

  // One item.
  app.get("/reviews/:reviewId", async (c) => {
    const reviewId = c.req.param("reviewId");
    if (!uuid.safeParse(reviewId).success) {
      return errorPage(c, 404, "Not found", html`This link does not point to a review item.`);
    }
    const deps = c.var.services.reviews;
    const view = await getReview(deps, reviewId.toLowerCase());
    const filter = readFilter((n) => c.req.query(n));
    const base = listFilter(filter, c.var.actor);
    const queued = await listReviews(deps, { ...base, limit: 100 });
    const position = queued.items.findIndex((i) => i.review_id === view.review_id);
    const previous = position > 0 ? queued.items[position - 1] : undefined;
    const following =
      position >= 0 && position + 1 < queued.items.length
        ? queued.items[position + 1]
        : (await listReviews(deps, { ...base, cursor: cursorOf(view), limit: 1 })).items[0];
    const itemUrl = (id: string) => `/ui/reviews/${id}${filterQuery(filter)}`;
    const here = new URL(c.req.url);
    const body = reviewBody({
      view,
      principal: c.var.principal,
      now: deps.now(),
      leaseSeconds: deps.claimLeaseSeconds,
      queueUrl: `/ui${filterQuery(filter)}`,
      prevUrl: previous ? itemUrl(previous.review_id) : null,
      nextUrl: following ? itemUrl(following.review_id) : null,
      afterDecisionUrl: `/ui/next${filterQuery(filter, { after: view.review_id })}`,
      loginUrl: `/ui/login?next=${encodeURIComponent(here.pathname + here.search)}`,
      flash: await confirmation(c, c.req.query("done")),
    });
    const title = view.question.length > 60 ? `${view.question.slice(0, 60)}…` : view.question;
    return send(c, 200, `Review: ${title}`, body, COMMON_JS + DIFF_JS + REVIEW_JS);
  });

  app.all("*", (c) => {
    if (c.req.path === "/ui/" && c.req.method === "GET")
      return c.redirect(`/ui${new URL(c.req.url).search}`, 301);
    return errorPage(c, 404, "Not found", html`There is no page at ${c.req.path}.`);
  });
  return app;
}
