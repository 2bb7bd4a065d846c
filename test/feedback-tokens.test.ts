import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createAppFor } from "../src/api/app.js";
import { threadResponse } from "../src/api/schemas.js";
import { OpenModeGate } from "../src/auth/open-mode.js";
import { signThreadToken, verifyThreadToken } from "../src/auth/thread-token.js";
import { ThreadTokens } from "../src/services/thread-tokens.js";
import { testDatabases } from "./support/databases.js";
import { QUESTIONS } from "./support/flow.js";
import { createKeys, jsonCaller, useHarness } from "./support/harness.js";

/**
 * End-user feedback without an API key: the per-thread feedback token (signed, expiring, one
 * thread and one purpose), the feedback route through it, its CORS, and the /demo gate.
 */

const SECRET = Buffer.from("a".repeat(32));
const THREAD = randomUUID();
const NOW = new Date("2026-12-03T12:00:00Z");
const LATER = new Date(NOW.getTime() + 3600_000);

describe("thread tokens", () => {
  const token = signThreadToken(SECRET, {
    purpose: "feedback",
    threadId: THREAD,
    expiresAt: LATER,
  });
  const check = (t: string, over: Partial<{ threadId: string; now: Date }> = {}) =>
    verifyThreadToken(SECRET, t, { purpose: "feedback", threadId: THREAD, now: NOW, ...over });

  it("accepts a token for its thread and purpose before it expires", () => {
    expect(check(token)).toEqual({ ok: true, expiresAt: LATER });
    // Thread ids compare however they are spelled.
    expect(check(token, { threadId: THREAD.toUpperCase() }).ok).toBe(true);
  });

  it("refuses it once expired, on another thread, or for another purpose", () => {
    expect(check(token, { now: LATER })).toEqual({ ok: false, refusal: "expired" });
    expect(check(token, { threadId: randomUUID() })).toEqual({
      ok: false,
      refusal: "wrong_thread",
    });
    const view = signThreadToken(SECRET, {
      purpose: "demo_view",
      threadId: THREAD,
      expiresAt: LATER,
    });
    expect(check(view)).toEqual({ ok: false, refusal: "wrong_purpose" });
  });

  it("refuses a token altered in any part, or signed with another secret", () => {
    const [purpose, thread, expiry, mac] = token.split(".") as [string, string, string, string];
    const flipped = mac.slice(0, 10) + (mac[10] === "A" ? "B" : "A") + mac.slice(11);
    const later = String(Number(expiry) + 86_400);
    for (const altered of [
      [purpose, thread, expiry, flipped],
      [purpose, thread, later, mac],
      [purpose, randomUUID(), expiry, mac],
      ["demo_view", thread, expiry, mac],
    ]) {
      expect(check(altered.join("."), { threadId: altered[1] }).ok).toBe(false);
    }
    const other = signThreadToken(Buffer.from("b".repeat(32)), {
      purpose: "feedback",
      threadId: THREAD,
      expiresAt: LATER,
    });
    expect(check(other)).toEqual({ ok: false, refusal: "bad_signature" });
    expect(check("not a token")).toEqual({ ok: false, refusal: "malformed" });
    expect(check(`${token}x`)).toEqual({ ok: false, refusal: "malformed" });
  });
});

describe.each(testDatabases)("end-user feedback by token ($name)", (kind) => {
  const h = useHarness(kind);
  let keys: Record<"admin" | "client" | "other" | "reviewer", Record<string, string>>;
  let answered: ReturnType<typeof threadResponse.parse>;
  let paused: ReturnType<typeof threadResponse.parse>;

  const withToken = (token: string, extra: Record<string, string> = {}) => ({
    "signoff-feedback-token": token,
    ...extra,
  });

  it("gives the thread's owner a feedback token with the thread, and nobody else", async () => {
    keys = await createKeys(h, {
      admin: "admin",
      client: "client",
      other: "client",
      reviewer: "reviewer",
    });
    const created = await h.call(
      "POST",
      "/threads?wait=20",
      { question: QUESTIONS.answerable },
      keys.client,
    );
    expect(created.status).toBe(202);
    answered = threadResponse.parse(created.body);
    expect(answered.status).toBe("completed");
    expect(answered.provenance).toBe("auto");
    expect(answered.feedback_token).toMatch(/^feedback\./);
    const ttl = h.runtime.env.FEEDBACK_TOKEN_TTL_SECONDS * 1000;
    expect(Date.parse(answered.feedback_token_expires_at!) - h.clock.now().getTime()).toBeCloseTo(
      ttl,
      -4,
    );
    const mine = await h.call("GET", `/threads/${answered.thread_id}`, undefined, keys.client);
    expect(mine.body.feedback_token).toMatch(/^feedback\./);
    for (const who of [keys.admin, keys.reviewer]) {
      const seen = await h.call("GET", `/threads/${answered.thread_id}`, undefined, who);
      expect(seen.status).toBe(200);
      expect(seen.body.feedback_token).toBeUndefined();
    }
    const pausedRes = await h.call(
      "POST",
      "/threads?wait=20",
      { question: QUESTIONS.highRisk },
      keys.client,
    );
    paused = threadResponse.parse(pausedRes.body);
    expect(paused.status).toBe("awaiting_review");
  });

  it("takes feedback with the token and no key, once per thread", async () => {
    const path = `/threads/${answered.thread_id}/feedback`;
    const first = await h.call(
      "POST",
      path,
      { rating: 2, comment: "Too vague" },
      withToken(answered.feedback_token!),
    );
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    // A second submit (even with a freshly issued token, or another rating) returns the first.
    const again = await h.call(
      "POST",
      path,
      { rating: 5 },
      withToken(
        (await h.call("GET", `/threads/${answered.thread_id}`, undefined, keys.client)).body
          .feedback_token,
      ),
    );
    expect(again.status).toBe(200);
    expect(again.body.feedback_id).toBe(first.body.feedback_id);
    const { rows } = await h.db.pool.query(
      "SELECT rating, comment, actor, context FROM feedback WHERE thread_id = $1",
      [answered.thread_id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ rating: 2, comment: "Too vague", actor: "end-user" });
    expect(rows[0].context).toMatchObject({ channel: "feedback_token", provenance: "auto" });
  });

  it("puts the widget's rating in the eval export with its channel and the answer's provenance", async () => {
    const res = await h.app.request("/datasets/export", { headers: keys.reviewer });
    expect(res.status).toBe(200);
    const examples = (await res.text())
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    const example = examples.find((e) => e.metadata.thread_id === answered.thread_id);
    expect(example.metadata.user_feedback).toEqual([
      expect.objectContaining({
        rating: 2,
        comment: "Too vague",
        user: "end-user",
        channel: "feedback_token",
        answer_provenance: "auto",
      }),
    ]);
  });

  it("refuses a token on another thread, a forged one, and one for an unfinished thread", async () => {
    const wrongThread = await h.call(
      "POST",
      `/threads/${paused.thread_id}/feedback`,
      { rating: 1 },
      withToken(answered.feedback_token!),
    );
    expect(wrongThread.status).toBe(401);
    expect(wrongThread.body.error.code).toBe("invalid_feedback_token");
    // The signature's first character: the last one's low bits are base64 padding, which a
    // decoder ignores, so changing it may leave the signature as it was.
    const forged = answered.feedback_token!.replace(
      /\.(.)([^.]*)$/,
      (_m, ch: string, rest: string) => `.${ch === "A" ? "B" : "A"}${rest}`,
    );
    const forgedRes = await h.call(
      "POST",
      `/threads/${answered.thread_id}/feedback`,
      { rating: 1 },
      withToken(forged),
    );
    expect([forgedRes.status, forgedRes.body.error.code]).toEqual([401, "invalid_feedback_token"]);
    const unfinished = await h.call(
      "POST",
      `/threads/${paused.thread_id}/feedback`,
      { rating: 1 },
      withToken(paused.feedback_token!),
    );
    expect(unfinished.status).toBe(409);
    const huge = await h.call(
      "POST",
      `/threads/${paused.thread_id}/feedback`,
      { rating: 1, comment: "x".repeat(20_000) },
      withToken(paused.feedback_token!),
    );
    expect(huge.status).toBe(413);
  });

  it("authorizes nothing but feedback: no reading the thread, no decisions", async () => {
    const token = answered.feedback_token!;
    const read = await h.call("GET", `/threads/${answered.thread_id}`, undefined, withToken(token));
    expect(read.status).toBe(401);
    const decision = await h.call(
      "POST",
      `/reviews/${paused.reviews[0]!.review_id}/decision`,
      { type: "approve" },
      withToken(token),
    );
    expect(decision.status).toBe(401);
    const asBearer = await h.call("GET", `/threads/${answered.thread_id}`, undefined, {
      authorization: `Bearer ${token}`,
    });
    expect(asBearer.status).toBe(401);
  });

  it("answers the widget's CORS preflight from any origin, for the token's headers only", async () => {
    const preflight = await h.app.request(`/threads/${answered.thread_id}/feedback`, {
      method: "OPTIONS",
      headers: {
        origin: "https://shop.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type,signoff-feedback-token",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    const allowed = preflight.headers.get("access-control-allow-headers")!.split(/,\s*/);
    expect(allowed).toEqual(expect.arrayContaining(["content-type", "signoff-feedback-token"]));
    expect(allowed).not.toContain("authorization");
    expect(preflight.headers.get("access-control-allow-credentials")).toBeNull();
    // The answer itself, refusals included, is readable by the widget's page.
    const refused = await h.app.request(`/threads/${answered.thread_id}/feedback`, {
      method: "POST",
      headers: {
        origin: "https://shop.example",
        "sec-fetch-site": "cross-site",
        "content-type": "application/json",
        "signoff-feedback-token": "feedback.x",
      },
      body: JSON.stringify({ rating: 3 }),
    });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("access-control-allow-origin")).toBe("*");
    // Every other route keeps its rules: no CORS for an unlisted origin.
    const elsewhere = await h.app.request("/threads", {
      method: "OPTIONS",
      headers: { origin: "https://shop.example", "access-control-request-method": "POST" },
    });
    expect(elsewhere.headers.get("access-control-allow-origin")).toBeNull();
    // An origin listed in CORS_ORIGINS keeps the general rules on this path (keys in headers).
    const listed = createAppFor(h.runtime, { corsOrigins: ["https://inbox.example"] });
    const inbox = await listed.request(`/threads/${answered.thread_id}/feedback`, {
      method: "OPTIONS",
      headers: {
        origin: "https://inbox.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,content-type",
      },
    });
    expect(inbox.headers.get("access-control-allow-origin")).toBe("https://inbox.example");
    expect(inbox.headers.get("access-control-allow-headers")).toContain("authorization");
  });

  it("keeps one secret per database for every process, and refuses tokens after their TTL", async () => {
    // Two processes (two token services) on one database: one signs, the other verifies.
    const ttlSeconds = 600;
    const a = new ThreadTokens({ ttlSeconds, now: h.clock.now });
    const b = new ThreadTokens({ ttlSeconds, now: h.clock.now });
    const issued = await a.issue(h.db.pool, paused.thread_id, "feedback");
    expect(
      await b.verify(h.db.pool, issued.token, { purpose: "feedback", threadId: paused.thread_id }),
    ).toMatchObject({ ok: true });
    const { rows } = await h.db.pool.query("SELECT count(*)::int AS n FROM app_secrets");
    expect(rows[0].n).toBe(1);
    // A configured secret takes over: tokens signed with the stored one no longer pass.
    const configured = new ThreadTokens({ ttlSeconds, secret: "s".repeat(32), now: h.clock.now });
    expect(
      await configured.verify(h.db.pool, issued.token, {
        purpose: "feedback",
        threadId: paused.thread_id,
      }),
    ).toEqual({ ok: false, refusal: "bad_signature" });
    // Last: the harness's clock moves past the app's TTL, and the owner's token stops working.
    h.clock.advance(h.runtime.env.FEEDBACK_TOKEN_TTL_SECONDS / 60 + 1);
    const expired = await h.call(
      "POST",
      `/threads/${answered.thread_id}/feedback`,
      { rating: 4 },
      withToken(answered.feedback_token!),
    );
    expect([expired.status, expired.body.error.message]).toEqual([
      401,
      expect.stringContaining("expired"),
    ]);
  });
});

describe.each(testDatabases)("the /demo page's gate and calls ($name)", (kind) => {
  const h = useHarness(kind);
  const sameSite = {
    origin: "http://localhost",
    host: "localhost",
    "sec-fetch-site": "same-origin",
  };

  it("is off with keys configured and DEMO_ENABLED unset, on with DEMO_ENABLED=true", async () => {
    const closed = createAppFor(h.runtime, { openMode: new OpenModeGate(false) });
    expect((await closed.request("/demo")).status).toBe(404);
    expect((await closed.request("/demo/questions", { method: "POST" })).status).toBe(404);
    const enabled = createAppFor(h.runtime, {
      openMode: new OpenModeGate(false),
      demoEnabled: true,
    });
    const page = await enabled.request("/demo");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain('<script src="/widget.js">');
    const widget = await enabled.request("/widget.js");
    expect(widget.headers.get("content-type")).toContain("javascript");
    expect(await widget.text()).toContain("signoff-feedback");
  });

  it("asks from its own page only, and follows the thread with the view token only", async () => {
    const app = createAppFor(h.runtime, { openMode: new OpenModeGate(false), demoEnabled: true });
    const call = jsonCaller(app);
    const crossSite = await call(
      "POST",
      "/demo/questions",
      { question: QUESTIONS.highRisk },
      { origin: "https://evil.example", "sec-fetch-site": "cross-site" },
    );
    expect(crossSite.status).toBe(403);
    const asked = await call("POST", "/demo/questions", { question: QUESTIONS.highRisk }, sameSite);
    expect(asked.status, JSON.stringify(asked.body)).toBe(201);
    expect(asked.body).toMatchObject({ status: "awaiting_review", answer: null });
    const path = `/demo/threads/${asked.body.thread_id}`;
    const followed = await call("GET", path, undefined, {
      "signoff-demo-token": asked.body.view_token,
    });
    expect(followed.body).toMatchObject({ status: "awaiting_review", answer: null });
    // The feedback token is not a view token, and no token is no access.
    const wrongPurpose = await call("GET", path, undefined, {
      "signoff-demo-token": asked.body.feedback_token,
    });
    expect(wrongPurpose.status).toBe(401);
    expect((await call("GET", path)).status).toBe(401);
  });
});
