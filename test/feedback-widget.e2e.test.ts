import { mkdir } from "node:fs/promises";
import path from "node:path";
import { Hono } from "hono";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAppFor } from "../src/api/app.js";
import { threadResponse } from "../src/api/schemas.js";
import type { Database } from "../src/db/database.js";
import { escapeHtml } from "../src/ui/html.js";
import { launchChromium, serveOverHttp, type HttpServer } from "./support/browser.js";
import { testDatabases } from "./support/databases.js";
import { QUESTIONS } from "./support/flow.js";
import { createKeys, startHarness, type Harness } from "./support/harness.js";

/**
 * End-user feedback in a real browser: the /demo page (ask, "a specialist is checking this
 * answer", a reviewer approves through the API, the answer appears, the widget rates it, the
 * rating is in the export), and the widget embedded in another origin's page.
 */

const SCREENSHOTS = path.resolve(import.meta.dirname, "../test-results/screenshots");

describe("/demo and the feedback widget in a browser", () => {
  let db: Database;
  let h: Harness;
  let server: HttpServer;
  let shop: HttpServer | undefined;
  let browser: Browser;
  let keys: Record<"admin" | "reviewer" | "client", Record<string, string>>;
  const problems: string[] = [];

  /** A page that records script errors and CSP refusals, which fail the test. */
  async function watchedPage(): Promise<Page> {
    const page = await (await browser.newContext()).newPage();
    page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(`console: ${message.text()}`);
    });
    return page;
  }

  async function exported(threadId: string) {
    const res = await fetch(`${server.url}/datasets/export`, { headers: keys.reviewer });
    expect(res.status).toBe(200);
    const lines = (await res.text()).trim().split("\n").filter(Boolean);
    return lines.map((l) => JSON.parse(l)).find((e) => e.metadata.thread_id === threadId);
  }

  beforeAll(async () => {
    const launching = launchChromium();
    db = await testDatabases[0]!.open();
    h = await startHarness(db);
    // Keys exist (a reviewer decides through the API), so the demo is on only by DEMO_ENABLED.
    keys = await createKeys(h, { admin: "admin", reviewer: "reviewer", client: "client" });
    server = await serveOverHttp(createAppFor(h.runtime, { demoEnabled: true }));
    browser = await launching;
    await mkdir(SCREENSHOTS, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await shop?.close();
    await server?.close();
    await h?.close();
    await db?.close();
  }, 30_000);

  it("asks on /demo, waits for the specialist, shows the approved answer and takes a rating", async () => {
    const page = await watchedPage();
    await page.goto(`${server.url}/demo`);
    await page.getByLabel("Your question").fill(QUESTIONS.highRisk);
    await page.getByRole("button", { name: "Ask" }).click();
    const waiting = page.getByText("A specialist is checking this answer");
    await waiting.waitFor({ state: "visible" });
    expect(await page.locator("#answer").innerText()).toBe("");
    await page.screenshot({ path: path.join(SCREENSHOTS, "demo-waiting.png"), fullPage: true });

    // The page keeps waiting while a reviewer finds the item and approves it through the API.
    const queue = await fetch(`${server.url}/reviews?status=pending`, { headers: keys.reviewer });
    const item = (
      (await queue.json()) as {
        items: { review_id: string; question: string; thread_id: string }[];
      }
    ).items.find((i) => i.question === QUESTIONS.highRisk)!;
    expect(item).toBeDefined();
    const decided = await fetch(`${server.url}/reviews/${item.review_id}/decision?wait=20`, {
      method: "POST",
      headers: { ...keys.reviewer, "content-type": "application/json" },
      body: JSON.stringify({ type: "approve" }),
    });
    expect(decided.status).toBe(200);
    const thread = threadResponse.parse(((await decided.json()) as { thread: unknown }).thread);
    expect([thread.status, thread.provenance]).toEqual(["completed", "approved"]);

    await waiting.waitFor({ state: "hidden" });
    await expect.poll(() => page.locator("#answer").innerText()).toBe(thread.answer);
    expect(await page.locator("#checked").isVisible()).toBe(true);

    // The widget, in its shadow root: pick 4 of 5, add a comment, send.
    const widget = page.locator("signoff-feedback");
    expect(await widget.getAttribute("thread-id")).toBe(item.thread_id);
    const send = widget.getByRole("button", { name: "Send feedback" });
    expect(await send.isDisabled()).toBe(true);
    await widget.getByRole("button", { name: "4 of 5" }).click();
    expect(await widget.getByRole("button", { name: "4 of 5" }).getAttribute("aria-pressed")).toBe(
      "true",
    );
    await widget.getByLabel("Anything to add? (optional)").fill("Clear, but cite the leaflet.");
    await page.screenshot({
      path: path.join(SCREENSHOTS, "demo-answer-widget.png"),
      fullPage: true,
    });
    await send.click();
    await widget.getByText("Thank you for your feedback.").waitFor();

    const example = await exported(item.thread_id);
    expect(example.metadata.provenance).toBe("approved");
    expect(example.metadata.user_feedback).toEqual([
      expect.objectContaining({
        rating: 4,
        comment: "Clear, but cite the leaflet.",
        channel: "feedback_token",
        answer_provenance: "approved",
        user: "end-user",
      }),
    ]);
    expect(problems).toEqual([]);
  });

  it("works embedded in another origin's page, from the keyboard, and counts once", async () => {
    // The client app asks (with its key, on its server) and gets the thread's feedback token.
    const res = await fetch(`${server.url}/threads?wait=20`, {
      method: "POST",
      headers: { ...keys.client, "content-type": "application/json" },
      body: JSON.stringify({ question: QUESTIONS.answerable }),
    });
    const thread = threadResponse.parse(await res.json());
    expect([thread.status, thread.provenance]).toEqual(["completed", "auto"]);
    // Its page, on another origin (localhost vs 127.0.0.1), with the one script tag and a strict
    // CSP that allows no inline style or script.
    const signoffOrigin = server.url;
    const shopApp = new Hono().get("/", (c) => {
      c.header(
        "Content-Security-Policy",
        `default-src 'none'; script-src ${signoffOrigin}; connect-src ${signoffOrigin}`,
      );
      return c.html(
        `<!doctype html><html lang="en"><head><title>Shop</title></head><body>
<p id="answer">${escapeHtml(thread.answer!)}</p>
<signoff-feedback thread-id="${thread.thread_id}" token="${escapeHtml(thread.feedback_token!)}"></signoff-feedback>
<script src="${signoffOrigin}/widget.js"></script></body></html>`,
      );
    });
    shop = await serveOverHttp(shopApp);
    const page = await watchedPage();
    await page.goto(shop.url.replace("127.0.0.1", "localhost"));
    const widget = page.locator("signoff-feedback");
    const thumbsDown = widget.getByRole("button", { name: "No, this answer did not help" });
    await thumbsDown.waitFor();
    // Keyboard only: focus the thumbs-down button, press Space, Tab past the comment to Send.
    await thumbsDown.focus();
    await page.keyboard.press("Space");
    expect(await thumbsDown.getAttribute("aria-pressed")).toBe("true");
    await page.keyboard.press("Tab");
    await page.keyboard.type("It did not say how to return a gift.");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await widget.getByText("Thank you for your feedback.").waitFor();

    // A second page load and submit stores nothing new: one rating per thread by token.
    await page.reload();
    await widget.getByRole("button", { name: "Yes, this answer helped" }).click();
    await widget.getByRole("button", { name: "Send feedback" }).click();
    await widget.getByText("Thank you for your feedback.").waitFor();

    const example = await exported(thread.thread_id);
    // A low rating of an automatic answer: what calibration counts as a labelled error.
    expect(example.metadata.user_feedback).toEqual([
      expect.objectContaining({
        rating: 1,
        comment: "It did not say how to return a gift.",
        channel: "feedback_token",
        answer_provenance: "auto",
      }),
    ]);
    expect(problems).toEqual([]);
  });
});
