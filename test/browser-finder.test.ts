import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { findChromium } from "./support/browser.js";

describe("finding a Chromium for the browser tests", () => {
  it("finds one that exists with nothing installed by hand (system, else the npm package's)", async () => {
    const found = await findChromium(undefined);
    expect(existsSync(found.path)).toBe(true);
    expect(["system", "@sparticuz/chromium"]).toContain(found.source);
  });

  it("an explicit CHROMIUM_PATH wins, and a wrong one is an error that names it", async () => {
    await expect(findChromium("/nowhere/chromium")).rejects.toThrow(
      /CHROMIUM_PATH=\/nowhere\/chromium/,
    );
    const real = await findChromium(undefined);
    expect(await findChromium(real.path)).toEqual({ path: real.path, source: "CHROMIUM_PATH" });
  });
});
