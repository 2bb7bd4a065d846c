import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { ApiEnv } from "../src/api/app.js";
import { OpenModeGate } from "../src/auth/open-mode.js";
import { countWords, wordDiff } from "../src/text/word-diff.js";
import { uiAssets } from "../src/ui/assets.js";
import { uiPublicRoutes } from "../src/ui/routes.js";

/** The page's bundled scripts and stylesheet, and how they are served. */
describe("reviewer page assets", () => {
  it("bundles the browser modules and the stylesheet once, under content-hashed names", async () => {
    const assets = await uiAssets();
    expect(await uiAssets()).toBe(assets);
    expect(assets.urls).toEqual({
      queue: expect.stringMatching(/^\/ui\/assets\/queue-[0-9a-f]{12}\.js$/),
      review: expect.stringMatching(/^\/ui\/assets\/review-[0-9a-f]{12}\.js$/),
      signoff: expect.stringMatching(/^\/ui\/assets\/signoff-[0-9a-f]{12}\.css$/),
      demo: expect.stringMatching(/^\/ui\/assets\/demo-[0-9a-f]{12}\.js$/),
      widget: expect.stringMatching(/^\/ui\/assets\/widget-[0-9a-f]{12}\.js$/),
    });
    // The widget runs on other sites' pages: browser code only, and no markup from strings.
    const widget = assets.files.get(assets.urls.widget.split("/").pop()!)!;
    expect(widget.body).not.toMatch(
      /require\(|node:|process\.env|hono|innerHTML|insertAdjacentHTML/,
    );
    expect(widget.body).toContain("signoff-feedback");
    const review = assets.files.get(assets.urls.review.split("/").pop()!)!;
    // Browser code only: nothing of Node, the server or the JSX renderer came along.
    expect(review.body).not.toMatch(/require\(|node:|process\.env|hono/);
    expect(review.body).toContain("review-data");
    const css = assets.files.get(assets.urls.signoff.split("/").pop()!)!;
    expect(css.contentType).toBe("text/css; charset=utf-8");
    expect(css.body).toContain(".diff ins");
    expect(css.body).not.toContain("@import");
  });

  it("serves them without signing in (the sign-in page needs the stylesheet), cached for good", async () => {
    const app = new Hono<ApiEnv>().route("/ui", uiPublicRoutes(new OpenModeGate(false)));
    const { urls } = await uiAssets();
    const res = await app.request(urls.queue);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await res.text()).toContain("tr.row");
    expect((await app.request("/ui/assets/queue-000000000000.js")).status).toBe(404);
  });

  it("counts the words of a diff as the page's summary does", () => {
    const ops = wordDiff("Take 1,000 mg.", "Take 1 g, twice.");
    const removed = ops.filter((o) => o.op === "delete").map((o) => countWords(o.text));
    expect(removed.reduce((a, b) => a + b, 0)).toBe(2);
    expect(countWords("  ")).toBe(0);
  });
});
