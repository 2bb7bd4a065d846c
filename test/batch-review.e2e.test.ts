import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createAppFor } from "../src/api/app.js";
import { reviewResponse, threadResponse } from "../src/api/schemas.js";
import type { Database } from "../src/db/database.js";
import { escalateReview } from "../src/repositories/reviews.js";
import { launchChromium, serveOverHttp, type HttpServer } from "./support/browser.js";
import { testDatabases } from "./support/databases.js";
import { QUESTIONS } from "./support/flow.js";
import { startHarness, type Harness } from "./support/harness.js";

/** Batch review on the queue page (issue 12): select the items of one reason, decide them. */

const GAP = "retrieval:low_score";
// Markup in a question must stay text on every page that shows it.
const GAP_QUESTIONS = [0, 1, 2, 3].map(
  (i) => `${QUESTIONS.unanswerable} (${i === 0 ? "<b id=injected>#0</b>" : `#${i}`})`,
);

describe("batch review on the queue (/ui) in a browser", () => {
  let db: Database;
  let h: Harness;
  let server: HttpServer;
  let browser: Browser;
  let keys: Record<"admin" | "rita" | "client", Record<string, string>>;
  let reviewerKey: string;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    const launching = launchChromium();
    db = await testDatabases[0]!.open();
    h = await startHarness(db);
    server = await serveOverHttp(createAppFor(h.runtime));
    const root = await h.call("POST", "/keys", { name: "root", role: "admin" });
    const admin = { authorization: `Bearer ${root.body.key}` };
    const make = async (name: string, role: string) =>
      (await h.call("POST", "/keys", { name, role }, admin)).body.key as string;
    reviewerKey = await make("rita", "reviewer");
    keys = {
      admin,
      rita: { authorization: `Bearer ${reviewerKey}` },
      client: { authorization: `Bearer ${await make("app", "client")}` },
    };
    browser = await launching;
  });

  afterAll(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await server?.close();
    await h?.close();
    await db?.close();
  });

  const pageErrors: string[] = [];
  afterEach(() => expect(pageErrors).toEqual([]));

  async function signedIn(javaScriptEnabled = true): Promise<Page> {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      javaScriptEnabled,
    });
    contexts.push(context);
    await context.addCookies([
      {
        name: "signoff_key",
        value: reviewerKey,
        url: server.url,
        httpOnly: true,
        sameSite: "Strict",
      },
    ]);
    const page = await context.newPage();
    page.on("pageerror", (error) => pageErrors.push(error.message));
    return page;
  }

  async function paused(question: string): Promise<string> {
    const res = await h.call("POST", "/threads?wait=20", { question }, keys.client);
    const thread = threadResponse.parse(res.body);
    expect(thread.status).toBe("awaiting_review");
    return thread.reviews[0]!.review_id;
  }

  const review = async (id: string) =>
    reviewResponse.parse((await h.call("GET", `/reviews/${id}`, undefined, keys.admin)).body);

  it("approves every item of one reason but the one that changed after the page loaded", async () => {
    const gap: string[] = [];
    for (const q of GAP_QUESTIONS) gap.push(await paused(q));
    const health = await paused(QUESTIONS.highRisk);
    expect((await review(health)).reason_key).toBe("policy:health");

    const page = await signedIn();
    await page.goto(`${server.url}/ui`);
    const group = page.locator(`.reason-groups li[data-reason="${GAP}"]`);
    expect(await group.textContent()).toContain(
      "4 items: retrieval gap — no passage scores at the retrieval threshold",
    );
    expect(
      await page.locator(`.reason-groups li[data-reason="policy:health"]`).textContent(),
    ).toContain("1 item: policy rule health — health and medication questions");
    // Nothing is ticked until asked; then every item of the reason is, and only those are listed.
    expect(await page.locator("td.pick input:checked").count()).toBe(0);
    await group.getByRole("link", { name: "select all with this reason" }).click();
    await page.waitForURL(/\/ui\?reason=retrieval%3Alow_score&select=all$/);
    const boxes = page.locator("td.pick input[type=checkbox]");
    expect(await boxes.count()).toBe(4);
    expect(await page.locator("td.pick input:checked").count()).toBe(4);
    expect(
      (
        await boxes.evaluateAll((els) =>
          els.map((e) => (e as HTMLInputElement).value.split(":")[0]),
        )
      ).sort(),
    ).toEqual([...gap].sort());
    expect(await page.locator("#f-reason").inputValue()).toBe(GAP);
    expect(await page.locator("#injected").count()).toBe(0);
    expect(await page.locator("table.queue").textContent()).toContain("<b id=injected>#0</b>");

    await page.screenshot({
      path: "test-results/screenshots/batch-review-queue.png",
      fullPage: true,
    });

    // While the page is open, the sweeper escalates one of them: its card is not what was shown.
    const stale = gap[2]!;
    expect(await escalateReview(db.pool, stale, new Date(), 10)).toBeDefined();

    await page
      .locator("#batch-comment")
      .fill("No source in the knowledge base; answer from general knowledge.");
    await page.getByRole("button", { name: "Approve selected" }).click();
    await page.waitForURL("**/ui/reviews/batch");
    expect(await page.locator("#batch-result").textContent()).toContain("3 decided, 1 not decided");
    const refused = page.locator("#refused li");
    expect(await refused.count()).toBe(1);
    expect(await refused.getAttribute("data-review")).toBe(stale);
    expect(await refused.textContent()).toContain(stale);
    expect(await refused.textContent()).toContain("changed since you loaded it (stale)");
    await page.screenshot({
      path: "test-results/screenshots/batch-review-result.png",
      fullPage: true,
    });

    // Through the API: each decided item has its own decision and audit event; the stale one waits.
    for (const id of gap.filter((g) => g !== stale)) {
      const view = await review(id);
      expect(view).toMatchObject({
        status: "decided",
        decision_type: "approve",
        decided_by: "rita",
      });
      expect(view.decision).toMatchObject({
        comment: "No source in the knowledge base; answer from general knowledge.",
      });
      const events = await h.call("GET", `/reviews/${id}/events`, undefined, keys.admin);
      expect(
        events.body.items
          .filter((e: { type: string }) => e.type === "decided")
          .map((e: { actor: string }) => e.actor),
      ).toEqual(["rita"]);
    }
    expect(await review(stale)).toMatchObject({ status: "pending", queue: "escalation" });
    expect((await review(health)).status).toBe("pending");
    const left = await h.call(
      "GET",
      `/reviews?status=pending&reason_key=${GAP}`,
      undefined,
      keys.rita,
    );
    expect(left.body.items.map((i: { review_id: string }) => i.review_id)).toEqual([stale]);

    // The link back lands on the same reason's queue.
    await page.getByRole("link", { name: "Back to the queue" }).click();
    await page.waitForURL(/\/ui\?reason=retrieval%3Alow_score$/);
    expect(await page.locator("td.pick input[type=checkbox]").count()).toBe(1);
  });

  it("rejects a reason's items with a plain form post, without JavaScript", async () => {
    const health = (
      await h.call("GET", "/reviews?status=pending&reason_key=policy:health", undefined, keys.rita)
    ).body.items.map((i: { review_id: string }) => i.review_id) as string[];
    expect(health).toHaveLength(1);
    const page = await signedIn(false);
    await page.goto(`${server.url}/ui?reason=policy:health&select=all`);
    expect(await page.locator("td.pick input:checked").count()).toBe(1);

    // A rejection says why: without a reason it is refused, and nothing is decided.
    await page.getByRole("button", { name: "Reject selected" }).click();
    await page.waitForURL("**/ui/reviews/batch");
    expect(await page.locator("h1").textContent()).toBe("That did not work");
    expect(await page.locator("main, body").first().textContent()).toContain(
      "to reject, choose at least one reason",
    );
    expect((await review(health[0]!)).status).toBe("pending");

    await page.goBack();
    await page.locator("#batch fieldset.reasons-list label").first().locator("input").check();
    await page.getByRole("button", { name: "Reject selected" }).click();
    await page.waitForURL("**/ui/reviews/batch");
    expect(await page.locator("#batch-result").textContent()).toContain("1 decided");
    expect(await page.locator("#refused").count()).toBe(0);
    const view = await review(health[0]!);
    expect(view).toMatchObject({ status: "decided", decision_type: "reject", decided_by: "rita" });
    expect((view.decision as { reasons: string[] }).reasons).toHaveLength(1);
  });

  it("refuses a batch post from another site", async () => {
    const res = await fetch(`${server.url}/ui/reviews/batch`, {
      method: "POST",
      headers: {
        cookie: `signoff_key=${reviewerKey}`,
        origin: "https://evil.example",
        "content-type": "application/x-www-form-urlencoded",
      },
      body: "action=approve&item=00000000-0000-4000-8000-000000000000:abc",
      redirect: "manual",
    });
    expect(res.status).toBe(403);
  });
});
