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

function starts(path: string): { ok: boolean; why: string } {
  const check = spawnSync(path, ["--version"], { timeout: 30_000, encoding: "utf8" });
  return {
    ok: check.status === 0,
    why: check.stderr?.trim() || check.error?.message || `exit ${check.status}`,
  };
}

/** The binary the `@sparticuz/chromium` dev dependency ships, unpacked on first use. */
async function packagedChromium(): Promise<string> {
  const { default: packaged } = await import("@sparticuz/chromium");
  return packaged.executablePath();
}

/**
 * CHROMIUM_PATH if set (and then it must start), else a system Chromium that starts, else the
 * binary that the `@sparticuz/chromium` dev dependency ships inside its npm package: a fresh
 * clone needs nothing but `npm ci`. Playwright's own browser downloads are never used (this
 * network refuses them). A system one that does not run (Ubuntu's snap stub) is passed over; a
 * packaged one left half-written by an interrupted unpack is unpacked again, once.
 * test/global-setup.ts calls this once before the test files run, so two never unpack at once.
 */
export async function findChromium(
  configured = parseEnv(process.env).CHROMIUM_PATH,
): Promise<ChromiumLocation> {
  if (configured) {
    if (!existsSync(configured)) throw new Error(`CHROMIUM_PATH=${configured} does not exist`);
    const check = starts(configured);
    if (!check.ok) throw new Error(`CHROMIUM_PATH=${configured} does not start: ${check.why}`);
    return { path: configured, source: "CHROMIUM_PATH" };
  }
  for (const candidate of SYSTEM_CHROMIUMS) {
    if (existsSync(candidate) && starts(candidate).ok) return { path: candidate, source: "system" };
  }
  let path = await packagedChromium();
  let check = starts(path);
  if (!check.ok) {
    rmSync(path, { force: true });
    path = await packagedChromium();
    check = starts(path);
  }
  if (!check.ok)
    throw new Error(`the Chromium of @sparticuz/chromium does not start: ${check.why}`);
  return { path, source: "@sparticuz/chromium" };
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
