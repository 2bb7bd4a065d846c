import pg from "pg";
import { parseEnv } from "../src/env.js";
import { findChromium } from "./support/browser.js";

/** With TEST_DATABASE_URL set, an unreachable server fails the whole run instead of skipping. */
export default async function setup(): Promise<void> {
  // Once, before the test files run in parallel: the browser tests' Chromium, unpacked if need be.
  const chromium = await findChromium();
  console.log(`browser tests use ${chromium.path} (${chromium.source})`);
  const url = parseEnv(process.env).TEST_DATABASE_URL;
  if (!url) {
    console.warn("TEST_DATABASE_URL is not set: storage tests run on embedded PGlite only");
    return;
  }
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
  } catch (error) {
    throw new Error(
      `TEST_DATABASE_URL is set but ${new URL(url).host} is unreachable: ${(error as Error).message}`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}
