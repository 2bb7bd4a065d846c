import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAppFor } from "../src/api/app.js";
import { threadResponse } from "../src/api/schemas.js";
import type { Database } from "../src/db/database.js";
import { Fragment, jsx } from "hono/jsx";
import { wordDiff } from "../src/text/word-diff.js";
import { escapeHtml, jsonForScript } from "../src/ui/html.js";
import { launchChromium, serveOverHttp, type HttpServer } from "./support/browser.js";
import { OpenModeGate } from "../src/auth/open-mode.js";
import { testDatabases } from "./support/databases.js";
import { QUESTIONS } from "./support/flow.js";
import { startHarness, type Harness } from "./support/harness.js";

/**
 * The reviewer page end to end: the real app over HTTP on the embedded database, driven by
 * headless Chromium (Debian's /usr/bin/chromium; a missing browser fails the run).
 */

const SCREENSHOTS = path.resolve(import.meta.dirname, "../test-results/screenshots");
const XSS_QUESTION =
  'Is <script>window.__xss = 1</script> paracetamol safe with <img src=x onerror="window.__xss = 2"> ibuprofen?';

type Keys = Record<"admin" | "alice" | "bob" | "client", string>;

describe("reviewer page (/ui) in a browser", () => {
  let db: Database;
  let h: Harness;
  let server: HttpServer;
  let browser: Browser | undefined;
  let browserError: unknown;
  function chromium(): Browser {
    if (!browser)
      throw browserError instanceof Error ? browserError : new Error(String(browserError));
    return browser;
  }
  let keys: Keys;
  type Recorded = { status: number; location: string | null; body: string };
  let openMode: {
    allowed: Recorded;
    refused: Recorded;
    refusedLogin: Recorded;
    wired: Recorded;
    wiredApi: number;
  };

  /** The app with open mode allowed or not (as a server on loopback or on a public address). */
  function uiOnly(allowOpenMode: boolean) {
    return createAppFor(h.runtime, { openMode: new OpenModeGate(allowOpenMode) });
  }
  const contexts: BrowserContext[] = [];
  const as = (who: keyof Keys) => ({ authorization: `Bearer ${keys[who]}` });

  /** Asks a question as the client app and returns the thread, paused for review. */
  async function paused(question: string) {
    const res = await h.call("POST", "/threads?wait=20", { question }, as("client"));
    expect(res.status).toBe(202);
    const thread = threadResponse.parse(res.body);
    expect(thread.status).toBe("awaiting_review");
    return { thread, reviewId: thread.reviews[0]!.review_id };
  }

  /** A page whose browser carries `who`'s key in the login cookie (as /ui/login sets it). */
  async function signedIn(who: keyof Keys): Promise<Page> {
    const context = await chromium().newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    await context.addCookies([
      {
        name: "signoff_key",
        value: keys[who],
        url: server.url,
        httpOnly: true,
        sameSite: "Strict",
      },
    ]);
    return watched(await context.newPage());
  }

  /** Fails the test on any script error in the page. */
  const pageErrors: string[] = [];
  function watched(page: Page): Page {
    page.on("pageerror", (error) => pageErrors.push(error.message));
    return page;
  }

  async function freshPage(): Promise<Page> {
    const context = await chromium().newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    return watched(await context.newPage());
  }

  beforeAll(async () => {
    // Chromium starts while the database is migrated and seeded. A missing Chromium fails every
    // test that needs it (with the install hint), rather than skipping them.
    const launching = launchChromium().then(
      (b) => (browser = b),
      (error: unknown) => (browserError = error),
    );
    db = await testDatabases[0]!.open();
    h = await startHarness(db);
    await launching;
    server = await serveOverHttp(createAppFor(h.runtime));
    // Before any key exists: open mode, where the app allows it (a server bound to loopback).
    const record = async (res: Response) => ({
      status: res.status,
      location: res.headers.get("location"),
      body: await res.text(),
    });
    openMode = {
      allowed: await record(await uiOnly(true).request("/ui")),
      refused: await record(await uiOnly(false).request("/ui")),
      refusedLogin: await record(await uiOnly(false).request("/ui/login")),
      wired: await record(await fetch(`${server.url}/ui`, { redirect: "manual" })),
      wiredApi: (await fetch(`${server.url}/reviews`)).status,
    };
    // Open mode lets the first admin key be created over the API; after that keys are required.
    const admin = await h.call("POST", "/keys", { name: "root", role: "admin" });
    expect(admin.status).toBe(201);
    const make = async (name: string, role: string) => {
      const res = await h.call(
        "POST",
        "/keys",
        { name, role },
        { authorization: `Bearer ${admin.body.key}` },
      );
      expect(res.status).toBe(201);
      return res.body.key as string;
    };
    keys = {
      admin: admin.body.key,
      alice: await make("alice", "reviewer"),
      bob: await make("bob", "reviewer"),
      client: await make("app", "client"),
    };
    await mkdir(SCREENSHOTS, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await server?.close();
    await h?.close();
    await db?.close();
  }, 30_000);

  it("signs in with a reviewer key, edits the draft with a visible diff and approves the edit", async () => {
    const { thread, reviewId } = await paused(QUESTIONS.highRisk);
    await paused(QUESTIONS.unanswerable);
    await paused("Should I refinance my mortgage at a 6% interest rate?");

    const page = await freshPage();
    await page.goto(`${server.url}/ui`);
    expect(new URL(page.url()).pathname).toBe("/ui/login");
    await page.getByLabel("Your reviewer key").fill(keys.alice);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${server.url}/ui`);
    const cookie = (await page.context().cookies()).find((c) => c.name === "signoff_key");
    expect(cookie).toMatchObject({
      value: keys.alice,
      httpOnly: true,
      sameSite: "Strict",
      secure: false,
      path: "/",
    });
    await expect.poll(() => page.locator("header.top").innerText()).toContain("alice");

    // The queue: most urgent first (high risk before low), each row with its reason and question.
    const rows = page.locator("tr.row");
    await expect.poll(() => rows.count()).toBe(3);
    expect(await rows.nth(2).innerText()).toContain(QUESTIONS.unanswerable);
    const row = rows.filter({ hasText: QUESTIONS.highRisk });
    const rowText = await row.innerText();
    expect(rowText).toContain("High-risk topic: health and medication questions");
    expect(rowText).toContain("High risk");
    expect(rowText).toMatch(/in \d+ min/);
    await page.screenshot({ path: path.join(SCREENSHOTS, "queue.png"), fullPage: true });

    // The review view.
    await row.getByRole("link").click();
    await page.waitForURL(new RegExp(`/ui/reviews/${reviewId}`));
    expect(await page.locator(".reason-main").innerText()).toContain(
      "High-risk topic: health and medication questions",
    );
    expect(await page.locator("#question").innerText()).toBe(QUESTIONS.highRisk);
    expect(await page.locator(".passage").count()).toBeGreaterThan(0);
    expect(await page.locator(".judge").innerText()).toContain("Groundedness");
    // Opening an unclaimed item claims it.
    await expect
      .poll(() => page.locator("#claim-status").innerText())
      .toContain("You are working on this item");
    const claimed = await h.call("GET", `/reviews/${reviewId}`, undefined, as("alice"));
    expect(claimed.body.claimed_by).toBe("alice");
    // A citation marker leads to the passage it cites.
    const cite = page.locator("a.cite").first();
    const target = (await cite.getAttribute("data-passage"))!;
    await cite.click();
    await expect
      .poll(() => page.locator(`#${target}`).getAttribute("class"))
      .toContain("highlight");
    await page.screenshot({ path: path.join(SCREENSHOTS, "review.png"), fullPage: true });

    // Edit: the textarea holds the draft; the diff shows the change before it is sent.
    await page.getByRole("button", { name: /^Edit/ }).click();
    const editor = page.getByLabel(/Corrected answer/);
    const draft: string = claimed.body.card.draft.text;
    expect(await editor.inputValue()).toBe(draft);
    // The draft quotes the daily maximum; the reviewer makes it firmer and adds the single dose.
    const edited = `${draft.replace("should not", "must not")} A single dose is 500 mg to 1 g. [1]`;
    expect(edited).not.toBe(draft);
    await editor.fill(edited);
    await expect
      .poll(() => page.locator("#edit-diff ins").allInnerTexts())
      .toEqual(
        expect.arrayContaining([
          expect.stringContaining("must"),
          expect.stringContaining("500 mg to 1 g"),
        ]),
      );
    expect((await page.locator("#edit-diff del").allInnerTexts()).join(" ")).toContain("should");
    expect(await page.locator("#edit-diff-summary").innerText()).toMatch(
      /1 word removed, \d+ words added/,
    );
    await page.screenshot({ path: path.join(SCREENSHOTS, "review-edit.png"), fullPage: true });
    await page.getByRole("button", { name: /Send the edited answer/ }).click();

    // On to the next item, with a confirmation of the decision.
    await page.waitForURL(
      (url) =>
        url.pathname !== `/ui/reviews/${reviewId}` && url.searchParams.get("done") === reviewId,
    );
    expect(await page.locator("#confirmation").innerText()).toContain("You approved with edits");

    const done = await h.call(
      "GET",
      `/threads/${thread.thread_id}?wait=20`,
      undefined,
      as("client"),
    );
    expect(done.body).toMatchObject({ status: "completed", provenance: "edited", answer: edited });
    const decided = await h.call("GET", `/reviews/${reviewId}`, undefined, as("alice"));
    expect(decided.body).toMatchObject({
      status: "decided",
      decision_type: "edit",
      decided_by: "alice",
    });
  }, 40_000);

  it("is open without a key only in open mode, never more open than the API", () => {
    expect(openMode.allowed.status).toBe(200);
    expect(openMode.allowed.body).toContain("Open mode (no keys configured)");
    expect(openMode.allowed.body).toContain("Waiting for review");
    // Open mode off (a server on a public address): sign in, and how to get a first key.
    expect(openMode.refused.status).toBe(302);
    expect(openMode.refused.location).toBe("/ui/login?next=%2Fui");
    expect(openMode.refusedLogin.body).toContain("No API keys exist yet. An admin creates one");
    // The real app: where its API refused a keyless caller, so did the page.
    if (openMode.wiredApi === 401) expect(openMode.wired.status).toBe(302);
    else expect([200, 302]).toContain(openMode.wired.status);
  }, 5_000);

  it("sends a browser without a valid key to the sign-in page, not a JSON 401", async () => {
    const { reviewId } = await paused(QUESTIONS.highRisk);
    for (const where of ["/ui", `/ui/reviews/${reviewId}`]) {
      const res = await fetch(`${server.url}${where}`, { redirect: "manual" });
      expect(res.status).toBe(302);
      expect(res.headers.get("location")).toBe(`/ui/login?next=${encodeURIComponent(where)}`);
    }
    const revoked = await fetch(`${server.url}/ui`, {
      redirect: "manual",
      headers: { cookie: "signoff_key=so_reviewer_not-a-key" },
    });
    expect(revoked.status).toBe(302);
    expect(revoked.headers.get("location")).toContain("expired=1");
    // Behind an https proxy the cookie is Secure; a sign-in posted from another site is refused.
    const login = (headers: Record<string, string>) =>
      fetch(`${server.url}/ui/login`, {
        method: "POST",
        redirect: "manual",
        headers,
        body: new URLSearchParams({ key: keys.bob }),
      });
    const https = await login({ "x-forwarded-proto": "https", origin: server.url });
    expect(https.status).toBe(303);
    expect(https.headers.get("set-cookie")).toMatch(
      /^signoff_key=[^;]+; Max-Age=43200; Path=\/; HttpOnly; Secure; SameSite=Strict$/,
    );
    const foreign = await login({ origin: "https://evil.example" });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get("set-cookie")).toBeNull();
    // The JSON API keeps its JSON 401.
    const api = await fetch(`${server.url}/reviews`);
    expect(api.status).toBe(401);

    const page = await freshPage();
    await page.goto(`${server.url}/ui/reviews/${reviewId}`);
    expect(new URL(page.url()).pathname).toBe("/ui/login");
    await page.getByLabel("Your reviewer key").fill("so_reviewer_wrong");
    await page.getByRole("button", { name: "Sign in" }).click();
    expect(await page.getByRole("alert").innerText()).toContain("That key is not valid");
    // After signing in, the reviewer lands where they were going.
    await page.getByLabel("Your reviewer key").fill(keys.bob);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${server.url}/ui/reviews/${reviewId}`);
    // Opening the item claimed it; leaving it undecided (q: back to the queue) gives it back.
    await expect
      .poll(() => page.locator("#claim-status").innerText())
      .toContain("You are working on this item");
    await page.keyboard.press("q");
    await page.waitForURL(`${server.url}/ui`);
    await expect
      .poll(
        async () =>
          (await h.call("GET", `/reviews/${reviewId}`, undefined, as("bob"))).body.claimed_by,
        { timeout: 5_000 },
      )
      .toBeNull();
    // Signing out clears the cookie.
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/ui\/login$/);
    expect((await page.context().cookies()).find((c) => c.name === "signoff_key")).toBeUndefined();
  }, 30_000);

  it("shows a client-role key a clear 403 page", async () => {
    const res = await fetch(`${server.url}/ui`, {
      redirect: "manual",
      headers: { cookie: `signoff_key=${keys.client}` },
    });
    expect(res.status).toBe(403);
    expect(res.headers.get("content-type")).toContain("text/html");
    const text = await res.text();
    expect(text).toContain("This key cannot review");
    expect(text.replace(/\s+/g, " ")).toContain(
      "needs a <strong>reviewer</strong> or <strong>admin</strong> key",
    );

    const page = await freshPage();
    await page.goto(`${server.url}/ui/login`);
    await page.getByLabel("Your reviewer key").fill(keys.client);
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith("/ui/login") && r.request().method() === "POST"),
      page.getByRole("button", { name: "Sign in" }).click(),
    ]);
    expect(response.status()).toBe(403);
    expect(await page.getByRole("alert").innerText()).toContain("is a client key");
    expect((await page.context().cookies()).find((c) => c.name === "signoff_key")).toBeUndefined();
  }, 30_000);

  it("works from the keyboard: ? lists shortcuts, j/k move, x opens reject, Ctrl+Enter submits", async () => {
    const fever = "How long does a fever usually last in adults?";
    const { thread, reviewId } = await paused(fever);
    const page = await signedIn("bob");
    await page.goto(`${server.url}/ui?stage=answer`);
    await page.keyboard.press("?");
    await expect.poll(() => page.locator("#shortcuts").isVisible()).toBe(true);
    await page.keyboard.press("Escape");
    await expect.poll(() => page.locator("#shortcuts").isVisible()).toBe(false);

    // j/k move the selection; Enter opens it.
    const rows = page.locator("tr.row");
    const index = (await rows.allInnerTexts()).findIndex((t) => t.includes(fever));
    expect(index).toBeGreaterThanOrEqual(0);
    for (let i = 0; i < index; i++) await page.keyboard.press("j");
    const selected = page.locator("tr.row.selected");
    expect(await selected.innerText()).toContain(fever);
    // Step to a neighbour and back: the queue orders by risk, then the shakiest judge score, so
    // where the fever row lands depends on its draft; away with k unless it is the first row.
    expect(await rows.count()).toBeGreaterThan(1);
    const [away, back] = index > 0 ? ["k", "j"] : ["j", "k"];
    await page.keyboard.press(away);
    const neighbour = await rows.nth(index > 0 ? index - 1 : 1).innerText();
    expect(await selected.innerText()).toBe(neighbour);
    expect(neighbour).not.toContain(fever);
    await page.keyboard.press(back);
    expect(await selected.innerText()).toContain(fever);
    await page.keyboard.press("Enter");
    await page.waitForURL(new RegExp(`/ui/reviews/${reviewId}\\?stage=answer$`));

    // x opens the reject form; letters typed into its comment are text, not shortcuts.
    expect(await page.locator("#form-reject").isVisible()).toBe(false);
    await page.keyboard.press("x");
    await expect.poll(() => page.locator("#form-reject").isVisible()).toBe(true);
    await page.getByLabel("Unsafe").check();
    await page.getByLabel("Comment").fill("");
    await page.getByLabel("Comment").pressSequentially("vague: see a doctor");
    expect(await page.locator("#form-edit").isVisible()).toBe(false);
    expect(await page.locator("#form-revise").isVisible()).toBe(false);
    expect(await page.getByLabel("Comment").inputValue()).toBe("vague: see a doctor");
    await page.keyboard.press("Control+Enter");

    await page.waitForURL((url) => url.searchParams.get("done") === reviewId);
    expect(await page.locator("#confirmation").innerText()).toContain("You rejected");
    const done = await h.call(
      "GET",
      `/threads/${thread.thread_id}?wait=20`,
      undefined,
      as("client"),
    );
    expect(done.body).toMatchObject({ status: "completed", provenance: "fallback" });
    const review = await h.call("GET", `/reviews/${reviewId}`, undefined, as("bob"));
    expect(review.body.decision).toMatchObject({
      type: "reject",
      reasons: ["unsafe"],
      comment: "vague: see a doctor",
    });
  }, 30_000);

  it("at the retrieval stage, chooses the evidence for an edit with checkboxes", async () => {
    const { thread, reviewId } = await paused("What is the warranty on a laptop battery?");
    const page = await signedIn("alice");
    await page.goto(`${server.url}/ui/reviews/${reviewId}`);
    expect(await page.locator("h1").innerText()).toBe(
      "Check the evidence before an answer is written",
    );
    expect(await page.locator(".reason-main").innerText()).toMatch(
      /^Retrieval score 0\.\d\d is under 0\.50$/,
    );
    const boxes = page.getByLabel("Use this passage as evidence");
    expect(await boxes.count()).toBeGreaterThanOrEqual(2);
    const chosen = [
      await boxes.nth(0).getAttribute("value"),
      await boxes.nth(1).getAttribute("value"),
    ];
    await boxes.nth(0).check();
    // Ticking a passage opens the evidence form.
    await expect.poll(() => page.locator("#form-edit").isVisible()).toBe(true);
    await boxes.nth(1).check();
    expect(await page.locator("#chosen-count").innerText()).toBe("2 passages chosen.");
    await page.screenshot({ path: path.join(SCREENSHOTS, "review-evidence.png"), fullPage: true });
    await page.getByRole("button", { name: /Answer from these passages/ }).click();
    await page.waitForURL((url) => url.searchParams.get("done") === reviewId);

    const review = await h.call("GET", `/reviews/${reviewId}`, undefined, as("alice"));
    expect(review.body.decision).toMatchObject({ type: "edit", chunk_ids: chosen });
    const after = await h.call(
      "GET",
      `/threads/${thread.thread_id}?wait=20`,
      undefined,
      as("client"),
    );
    expect(["completed", "awaiting_review"]).toContain(after.body.status);
  }, 30_000);

  it("explains a refused decision in words (already decided elsewhere), never raw JSON", async () => {
    const { reviewId } = await paused("Can I take ibuprofen for a fever?");
    const page = await signedIn("alice");
    await page.goto(`${server.url}/ui/reviews/${reviewId}`);
    await expect
      .poll(() => page.locator("#claim-status").innerText())
      .toContain("You are working on this item");
    // An admin settles it meanwhile (admins may decide over a claim).
    const admin = await h.call(
      "POST",
      `/reviews/${reviewId}/decision`,
      { type: "approve" },
      as("admin"),
    );
    expect(admin.status).toBe(200);
    await page.keyboard.press("a");
    await expect.poll(() => page.locator("#form-approve").isVisible()).toBe(true);
    await page.keyboard.press("Enter");
    const message = page.locator("#messages .flash");
    await expect
      .poll(() => message.innerText())
      .toContain("This item was already approved by root");
    const text = await message.innerText();
    expect(text).toContain("was not saved");
    expect(text).not.toContain("{");
    expect(await message.getByRole("button", { name: "Reload the item" }).isVisible()).toBe(true);
  }, 30_000);

  it("shows untrusted question text as text: a <script> in a question never runs", async () => {
    const { reviewId } = await paused(XSS_QUESTION);
    const page = await signedIn("alice");
    await page.goto(`${server.url}/ui`);
    expect(
      await page
        .locator("tr.row", { hasText: "window.__xss = 1" })
        .locator(".question")
        .innerText(),
    ).toBe(XSS_QUESTION);
    await page.goto(`${server.url}/ui/reviews/${reviewId}`);
    expect(await page.locator("#question").innerText()).toBe(XSS_QUESTION);
    expect(
      await page.evaluate(() => (window as unknown as { __xss?: number }).__xss),
    ).toBeUndefined();
    expect(await page.locator("main img").count()).toBe(0);

    const res = await fetch(`${server.url}/ui/reviews/${reviewId}`, {
      headers: { cookie: `signoff_key=${keys.alice}` },
    });
    const body = await res.text();
    expect(body).toContain(escapeHtml(XSS_QUESTION));
    expect(body).not.toContain("<script>window.__xss");
    expect(body).not.toContain("<img src=x");
    // The review data embedded for the page's script holds no "<" that could close its element.
    const embedded = body.match(
      /<script type="application\/json" id="review-data">([^]*?)<\/script>/,
    )?.[1];
    expect(embedded).toBeDefined();
    expect(embedded).not.toContain("<");
    // Scripts come only from /ui/assets/: no inline script runs (the JSON block is not executed).
    expect(res.headers.get("content-security-policy")).toMatch(/script-src 'self'(;|$)/);
    expect(body).not.toMatch(/<script(?![^>]*\b(?:src=|type="application\/json"))[^>]*>/);
    const script = body.match(/<script src="(\/ui\/assets\/review-[0-9a-f]+\.js)">/)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${server.url}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("content-type")).toContain("text/javascript");
    expect(asset.headers.get("cache-control")).toContain("immutable");
    expect(pageErrors).toEqual([]);
  }, 30_000);

  it("escapes every interpolated value and diffs word by word (helpers)", () => {
    // The pages are hono/jsx components: text and attribute values are escaped as they render.
    expect(String(jsx("p", { title: `"x" & 'y'` }, "<b>bold</b>"))).toBe(
      '<p title="&quot;x&quot; &amp; &#39;y&#39;">&lt;b&gt;bold&lt;/b&gt;</p>',
    );
    expect(String(jsx(Fragment, {}, ["<a>", jsx("i", {}, "ok"), 3, null, undefined]))).toBe(
      "&lt;a&gt;<i>ok</i>3",
    );
    const json = jsonForScript({ text: "</script><!-- \u2028 & >" });
    expect(json).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(json)).toEqual({ text: "</script><!-- \u2028 & >" });
    // The word diff the page bundles, tested as a module.
    expect(wordDiff("take 1,000 mg every 4 hours", "take 1 g every 6 hours")).toEqual([
      { op: "equal", text: "take " },
      { op: "delete", text: "1,000 mg" },
      { op: "insert", text: "1 g" },
      { op: "equal", text: " every " },
      { op: "delete", text: "4" },
      { op: "insert", text: "6" },
      { op: "equal", text: " hours" },
    ]);
    expect(wordDiff("same text", "same text")).toEqual([{ op: "equal", text: "same text" }]);
    expect(wordDiff("", "new")).toEqual([{ op: "insert", text: "new" }]);
  }, 5_000);
});
