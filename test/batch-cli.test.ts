import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QUESTIONS } from "./support/flow.js";
import { testDatabases } from "./support/databases.js";
import { useHarness } from "./support/harness.js";
import { listen } from "./support/http.js";

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npm run batch -- ARGS` as a child process (stderr is a pipe: plain progress lines). */
function batchCli(args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "src/cli/batch.ts", ...args],
      { cwd: process.cwd(), env: { PATH: process.env.PATH } },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const lines = (items: unknown[]) => items.map((i) => JSON.stringify(i)).join("\n") + "\n";

describe.each(testDatabases)("npm run batch ($name)", (kind) => {
  const h = useHarness(kind);
  let server: Awaited<ReturnType<typeof listen>>;
  let dir: string;

  beforeAll(async () => {
    server = await listen(h);
    dir = await mkdtemp(path.join(tmpdir(), "signoff-batch-cli-"));
  });
  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("explains itself", async () => {
    const run = await batchCli(["--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Usage: npm run batch -- FILE.jsonl");
    expect(run.stdout).toContain("--resume ID");
    const none = await batchCli([]);
    expect(none.code).toBe(2);
  });

  it("refuses a file with a bad line before sending anything, naming the line", async () => {
    const file = path.join(dir, "bad.jsonl");
    await writeFile(file, `${JSON.stringify({ question: "fine" })}\n{"question": 3}\n`);
    const run = await batchCli([file, "--api", server.url]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/line 2: question:/);
  });

  it("submits in parts, resumes without asking anything twice, waits with progress and writes the results", async () => {
    const file = path.join(dir, "questions.jsonl");
    const questions = [
      { question: QUESTIONS.answerable },
      { question: QUESTIONS.highRisk, id: "dose" },
      { question: QUESTIONS.unanswerable },
      { question: `${QUESTIONS.answerable} Please be brief.` },
      { question: QUESTIONS.blocked },
    ];
    await writeFile(file, lines(questions));
    const common = [file, "--api", server.url, "--chunk", "2", "--priority", "20"];
    const first = await batchCli([...common, "--no-wait", "--metadata", "run=cli"]);
    expect(first.code, first.stderr).toBe(0);
    const submitted = JSON.parse(first.stdout) as { batch_id: string; started: number };
    expect(submitted.started).toBe(5);
    expect(first.stderr).toContain(`--resume ${submitted.batch_id}`);
    expect(first.stderr).toMatch(/submitting: 5\/5 \(100%\)/);

    // The same command again is the same batch: nothing new starts.
    const again = await batchCli([...common, "--no-wait", "--metadata", "run=cli"]);
    expect(JSON.parse(again.stdout)).toMatchObject({ batch_id: submitted.batch_id, started: 0 });

    // The file grew: --resume adds only the new lines, then waits for all and writes results.
    await writeFile(file, lines([...questions, { question: "What is the capital of Peru?" }]));
    const out = path.join(dir, "results.jsonl");
    const resumed = await batchCli([...common, "--resume", submitted.batch_id, "--out", out]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/answering: 6\/6 \(100%\)/);
    const summary = JSON.parse(resumed.stdout) as Record<string, number>;
    expect(summary).toMatchObject({ total: 6, queued: 0, running: 0, failed: 0 });
    const written = (await readFile(out, "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(written.map((r: { item_id: string }) => r.item_id)).toEqual([
      "1",
      "dose",
      "3",
      "4",
      "5",
      "6",
    ]);
    const threads = await h.db.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM threads WHERE batch_id = $1",
      [submitted.batch_id],
    );
    expect(threads.rows[0]!.n).toBe(6);
    const batch = await h.call("GET", `/batches/${submitted.batch_id}`);
    expect(batch.body).toMatchObject({ priority: 20, metadata: { run: "cli" } });
  });
});
