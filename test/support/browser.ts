import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { chromium, type Browser } from "playwright-core";
import type { Hono } from "hono";
import { serveHttp } from "../../src/api/http-server.js";
import { parseEnv } from "../../src/env.js";

/** Where a Chromium was found, for the error message and the test log. */
export interface ChromiumLocation {
  path: string;
  source: "CHROMIUM_PATH" | "system" | "@sparticuz/chromium";
}

const SYSTEM_CHROMIUMS = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];

/**
 * CHROMIUM_PATH if set (and then it must exist), else a system Chromium, else the binary that the
 * `@sparticuz/chromium` dev dependency ships inside its npm package. The last one means a fresh
 * clone needs nothing but `npm ci`; Playwright's own browser downloads are never used (this
 * network refuses them).
 */
export async function findChromium(
  configured = parseEnv(process.env).CHROMIUM_PATH,
): Promise<ChromiumLocation> {
  if (configured) {
    if (!existsSync(configured)) {
      throw new Error(`CHROMIUM_PATH=${configured} does not exist`);
    }
    return { path: configured, source: "CHROMIUM_PATH" };
  }
  const system = SYSTEM_CHROMIUMS.find((candidate) => existsSync(candidate));
  if (system) return { path: system, source: "system" };
  // Unpacks its brotli-compressed binary to the temp directory on first use (a few seconds).
  // test/global-setup.ts calls this once before any test file runs, so two test files never
  // unpack it at the same time, and it checks that what is there runs.
  const { default: packaged } = await import("@sparticuz/chromium");
  return { path: await packaged.executablePath(), source: "@sparticuz/chromium" };
}

/**
 * Finds Chromium and checks it starts (`--version`). A binary left half-written by an
 * interrupted unpack is removed and unpacked again, once.
 */
export async function ensureChromium(): Promise<ChromiumLocation> {
  for (let attempt = 1; ; attempt++) {
    const found = await findChromium();
    const check = spawnSync(found.path, ["--version"], { timeout: 30_000, encoding: "utf8" });
    if (check.status === 0) return found;
    if (found.source !== "@sparticuz/chromium" || attempt > 1) {
      throw new Error(
        `Chromium at ${found.path} (${found.source}) does not start: ${check.stderr || check.error?.message || `exit ${check.status}`}`,
      );
    }
    rmSync(found.path, { force: true });
  }
}

/**
 * Headless Chromium. A missing browser is a failure, not a skip. The background-networking
 * flags keep Chromium from dialling out, which this closed network refuses.
 */
export async function launchChromium(): Promise<Browser> {
  const { path } = await findChromium();
  return chromium.launch({
    executablePath: path,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

export interface HttpServer {
  url: string;
  close(): Promise<void>;
}

/** Serves a Hono app over real HTTP on 127.0.0.1 and a free port, as `npm start` does. */
export async function serveOverHttp(app: Hono<any>, maxBodyBytes = 1_048_576): Promise<HttpServer> {
  return new Promise((resolve) => {
    const server = serveHttp(
      { fetch: app.fetch, port: 0, hostname: "127.0.0.1", maxBodyBytes },
      (info: AddressInfo) => {
        resolve({
          url: `http://127.0.0.1:${info.port}`,
          close: () =>
            new Promise<void>((done) => {
              if ("closeAllConnections" in server) server.closeAllConnections();
              server.close(() => done());
            }),
        });
      },
    );
  });
}
