import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createAppFor } from "../src/api/app.js";
import type { Database } from "../src/db/database.js";
import { launchChromium, serveOverHttp, type HttpServer } from "./support/browser.js";
import { testDatabases } from "./support/databases.js";
import { startHarness, type Harness } from "./support/harness.js";

/** The curation queue on the reviewer page, in headless Chromium over the real app. */

const V1 = {
  title: "Zorbexamine dosing",
  source: "health/zorbexamine.md",
  domain: "health",
  text: "Zorbexamine is taken with food. The maximum daily dose for adults is 40 mg.",
};
const V2 = { ...V1, text: V1.text.replace("40 mg", "30 mg") };
const QUESTION = "What is the maximum daily dose of zorbexamine?";

describe("curation queue (/ui/documents) in a browser", () => {
  let db: Database;
  let h: Harness;
  let server: HttpServer;
  let browser: Browser;
  let reviewerKey: string;
  let admin: Record<string, string>;

  beforeAll(async () => {
    const launching = launchChromium();
    db = await testDatabases[0]!.open();
    h = await startHarness(db, { worker: false });
    server = await serveOverHttp(createAppFor(h.runtime));
    const root = await h.call("POST", "/keys", { name: "root", role: "admin" });
    admin = { authorization: `Bearer ${root.body.key}` };
    const reviewer = await h.call(
      "POST",
      "/keys",
      { name: "dr-house", role: "reviewer", domains: ["health"] },
      admin,
    );
    reviewerKey = reviewer.body.key;
    browser = await launching;
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await h?.close();
    await db?.close();
  });

  /** Script errors on any page: the pages have no script of their own, so there must be none. */
  const pageErrors: string[] = [];
  afterEach(() => expect(pageErrors).toEqual([]));

  async function signedIn(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
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

  const retrievedIds = async () =>
    (await h.runtime.context.providers.retriever.retrieve(QUESTION, 5)).passages.map(
      (p) => p.document_id,
    );

  it("shows a pending version with its diff, and approving it puts it live", async () => {
    const v1 = await h.call("POST", "/documents", V1, admin);
    expect(
      (await h.call("POST", `/documents/${v1.body.document_id}/approve`, {}, admin)).status,
    ).toBe(200);
    const v2 = await h.call("POST", "/documents", V2, admin);
    expect(v2.body.status).toBe("pending");
    expect(await retrievedIds()).not.toContain(v2.body.document_id);

    const page = await signedIn();
    await page.goto(`${server.url}/ui/documents`);
    const row = page.locator(`tr[data-document-id="${v2.body.document_id}"]`);
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.textContent()).toContain("2 (update)");
    await page.locator("nav[aria-label=Main] a", { hasText: "Documents" }).waitFor();

    await row.locator("a").click();
    await page.waitForURL(`**/ui/documents/${v2.body.document_id}`);
    expect(await page.locator("#diff del").allTextContents()).toEqual(["40"]);
    expect(await page.locator("#diff ins").allTextContents()).toEqual(["30"]);
    expect(await page.locator("#diff").textContent()).toContain("The maximum daily dose");
    expect(await page.locator("h2#changes-title").textContent()).toContain("version 1 (live)");

    await page.screenshot({
      path: "test-results/screenshots/curation-document.png",
      fullPage: true,
    });
    await page.locator("#approve-form button[type=submit]").click();
    await page.waitForURL(`**/ui/documents?done=${v2.body.document_id}`);
    expect(await page.locator("#flash").textContent()).toContain("is now live");
    expect(await page.locator(`tr[data-document-id="${v2.body.document_id}"]`).count()).toBe(0);

    const ids = await retrievedIds();
    expect(ids).toContain(v2.body.document_id);
    expect(ids).not.toContain(v1.body.document_id);
    const events = await h.call("GET", `/documents/${v2.body.document_id}`, undefined, admin);
    expect(
      events.body.events.map((e: { type: string; actor: string }) => [e.type, e.actor]),
    ).toEqual([
      ["submitted", "root"],
      ["approved", "dr-house"],
    ]);
  });

  it("rejects with reasons from the page, and a second decision is refused", async () => {
    const v3 = await h.call("POST", "/documents", { ...V1, text: `${V2.text} Or 300 mg.` }, admin);
    const page = await signedIn();
    await page.goto(`${server.url}/ui/documents/${v3.body.document_id}`);
    await page.locator("summary", { hasText: "Reject" }).click();
    await page.locator("#reject-reasons").fill("the second dose is wrong\nno source");
    await page.locator("#reject-form button[type=submit]").click();
    await page.waitForURL(`**/ui/documents?done=${v3.body.document_id}`);
    expect(await page.locator("#flash").textContent()).toContain("is now rejected");
    const after = await h.call("GET", `/documents/${v3.body.document_id}`, undefined, admin);
    expect(after.body.document.reasons).toEqual(["the second dose is wrong", "no source"]);
    expect(await retrievedIds()).not.toContain(v3.body.document_id);

    await page.goto(`${server.url}/ui/documents/${v3.body.document_id}`);
    expect(await page.locator("#document-status").textContent()).toContain("rejected");
    expect(await page.locator("#approve-form").count()).toBe(0);
    // A stale tab's form posted anyway: refused with a page saying why, nothing changes.
    const stale = await page.request.post(
      `${server.url}/ui/documents/${v3.body.document_id}/approve`,
      { form: {}, headers: { origin: server.url } },
    );
    expect(stale.status()).toBe(409);
    expect(await stale.text()).toContain("is rejected");
  });
});
