import { execFile } from "node:child_process";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabases } from "./support/databases.js";
import { useHarness } from "./support/harness.js";

const run = promisify(execFile);

describe("the reviewer page answers a bad link with a page", () => {
  const h = useHarness(testDatabases[0]!, { worker: false, env: { SEED_SAMPLE_KB: "false" } });

  it.each([
    ["not a cursor", "bogus"],
    [
      "a cursor with a date Postgres cannot store",
      Buffer.from(
        JSON.stringify({
          priority: 1,
          created_at: "0000-01-01T00:00:00Z",
          review_id: "00000000-0000-4000-8000-000000000000",
        }),
      ).toString("base64url"),
    ],
  ])("/ui?cursor= %s is an HTML 400, not JSON", async (_, cursor) => {
    const res = await h.app.request(`/ui?cursor=${cursor}`);
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await res.text()).toContain("This page link does not work");
  });
});

describe("CLIs say what they mean", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "signoff-cli-"));
    await mkdir(path.join(dir, "kb", "travel"), { recursive: true });
    await writeFile(
      path.join(dir, "kb", "travel", "visa.md"),
      "# Visas\n\nA visa takes ten days.\n",
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const env = (extra: Record<string, string> = {}) => ({
    PATH: process.env.PATH,
    LOG_LEVEL: "silent",
    DATA_DIR: path.join(dir, "data"),
    ...extra,
  });

  it("ingest counts in words: 1 document (1 chunk)", async () => {
    const { stdout, stderr } = await run(
      process.execPath,
      ["--import", "tsx", "src/cli/ingest.ts", path.join(dir, "kb")],
      { env: env() },
    );
    expect(stderr).toContain("[1/1] travel/visa.md: added, 1 chunk\n");
    expect(stdout).toMatch(/ingested 1 document \(1 chunk\)/);
  });

  it("keys create names a bad role and the ones it takes", async () => {
    const failed = await run(
      process.execPath,
      ["--import", "tsx", "src/cli/keys.ts", "create", "--role", "superuser", "--name", "x"],
      { env: env() },
    ).catch((error: { code: number; stderr: string }) => error);
    expect((failed as { code: number }).code).toBe(2);
    expect((failed as { stderr: string }).stderr).toContain(
      'unknown role "superuser": use client, reviewer, admin or metrics',
    );
  });
});
