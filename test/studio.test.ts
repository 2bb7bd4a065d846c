/**
 * The graph Studio loads (langgraph.json → src/graph/studio.ts), run by the real LangGraph CLI
 * dev server in a child process and driven through @langchain/langgraph-sdk, as Studio does.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@langchain/langgraph-sdk";
import { describe, it, expect, beforeAll, afterAll } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CLI = path.join(ROOT, "node_modules", ".bin", "langgraphjs");
const GRAPH_ID = "signoff";
const STARTUP_TIMEOUT_MS = 60_000;
const OUTPUT_LIMIT = 20_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address
          ? resolve(address.port)
          : reject(new Error("no port")),
      );
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let child: ChildProcess | undefined;
let exited: Promise<void> = Promise.resolve();
let tempDir = "";
let output = "";
let client: Client;

const tail = () => output.slice(-4000) || "(no output)";

async function waitUntilReady(url: string): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `langgraphjs dev exited (${child?.exitCode ?? child?.signalCode}):\n${tail()}`,
      );
    }
    try {
      const res = await fetch(`${url}/ok`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  throw new Error(
    `langgraphjs dev did not answer ${url}/ok within ${STARTUP_TIMEOUT_MS} ms:\n${tail()}`,
  );
}

/**
 * A project directory for the dev server: the repo's langgraph.json with absolute graph paths,
 * and a link to the repo's node_modules (the server resolves @langchain/langgraph from the
 * config's directory). The server keeps its threads in `.langgraph_api/` next to the config, so
 * the test's threads neither pile up in, nor clobber, those of a developer's `npm run studio`.
 */
async function isolatedProject(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await symlink(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  const config = JSON.parse(await readFile(path.join(ROOT, "langgraph.json"), "utf8")) as {
    graphs: Record<string, string>;
  };
  const graphs = Object.fromEntries(
    Object.entries(config.graphs).map(([id, spec]) => {
      const [file = "", symbol = ""] = spec.split(":");
      return [id, `${path.resolve(ROOT, file)}:${symbol}`];
    }),
  );
  const file = path.join(dir, "langgraph.json");
  await writeFile(file, JSON.stringify({ ...config, graphs }, null, 2));
  return file;
}

/** Starts a run on the thread, waits for it, and fails with the server's output if it errored. */
async function run(threadId: string, payload: Parameters<Client["runs"]["create"]>[2]) {
  const created = await client.runs.create(threadId, GRAPH_ID, payload);
  await client.runs.join(threadId, created.run_id);
  const finished = await client.runs.get(threadId, created.run_id);
  if (finished.status === "error") {
    const state = await client.threads.getState(threadId);
    throw new Error(`run failed: ${JSON.stringify(state.tasks.map((t) => t.error))}\n${tail()}`);
  }
  return finished;
}

beforeAll(async () => {
  tempDir = await mkdtemp(path.join(tmpdir(), "signoff-studio-"));
  const config = await isolatedProject(path.join(tempDir, "project"));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: path.join(tempDir, "data"),
    // Empty, not deleted: the CLI loads .env without overriding keys that are already set, and
    // readEnv treats "" as unset, so a developer's .env cannot point this test at a real database.
    DATABASE_URL: "",
    POLICY_FILE: "",
    MODEL_PROVIDER: "offline",
    SEED_SAMPLE_KB: "true",
    // "error", not "silent": the dev server's own (winston) logger reads LOG_LEVEL too and knows no
    // "silent", so it would swallow the error of a graph module that fails to load.
    LOG_LEVEL: "error",
    LANGGRAPH_CLI_NO_ANALYTICS: "1",
    LANGSMITH_TRACING: "false",
    LANGCHAIN_TRACING_V2: "false",
    BROWSER: "none",
  };
  const spawned = spawn(
    CLI,
    [
      "dev",
      "--no-browser",
      "--no-reload",
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--config",
      config,
    ],
    // Its own process group, so afterAll can stop the CLI and the server it spawns together.
    { cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  child = spawned;
  exited = new Promise((resolve) => spawned.once("exit", () => resolve()));
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-OUTPUT_LIMIT);
  };
  spawned.stdout?.on("data", collect);
  spawned.stderr?.on("data", collect);
  spawned.once("error", (error) => collect(Buffer.from(`spawn failed: ${error.message}\n`)));

  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(url);
  client = new Client({ apiUrl: url });
}, STARTUP_TIMEOUT_MS + 10_000);

afterAll(async () => {
  const pid = child?.pid;
  // Signal the group even when the CLI itself has exited: its server child may not have.
  if (pid !== undefined) {
    const signalGroup = (signal: NodeJS.Signals) => {
      try {
        process.kill(-pid, signal);
      } catch {
        // already gone
      }
    };
    signalGroup("SIGTERM");
    const stopped = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
    // The CLI may exit before its server child does; SIGKILL the group either way.
    signalGroup("SIGKILL");
    if (!stopped) await Promise.race([exited, sleep(2000)]);
  }
  if (tempDir) await rm(tempDir, { recursive: true, force: true, maxRetries: 3 });
}, 15_000);

describe("the Studio graph under the LangGraph CLI dev server", () => {
  it("pauses a high-risk answer for review and resumes with the reviewer's edit", async () => {
    const thread = await client.threads.create();
    await run(thread.thread_id, {
      input: { question: "What is the maximum daily dose of paracetamol for adults?" },
    });

    const paused = await client.threads.getState(thread.thread_id);
    expect(paused.next).toEqual(["review_answer"]);
    const interrupts = paused.tasks.flatMap((t) => t.interrupts);
    expect(interrupts).toHaveLength(1);
    const value = interrupts[0]?.value as {
      action_request: { action: string; args: Record<string, unknown> };
      card: { stage: string; risk_tier: string };
    };
    expect(value.action_request.action).toBe("review_answer");
    // Only the editable field is in the args; the card rides alongside.
    expect(Object.keys(value.action_request.args)).toEqual(["answer"]);
    expect(value.card.stage).toBe("answer");
    expect(value.card.risk_tier).toBe("high");

    const edited = "Adults should take no more than 4,000 mg of paracetamol in 24 hours.";
    await run(thread.thread_id, { command: { resume: { type: "edit", answer: edited } } });

    const done = await client.threads.getState<Record<string, unknown>>(thread.thread_id);
    expect(done.next).toEqual([]);
    expect(done.values.provenance).toBe("edited");
    expect(done.values.answer).toBe(edited);
    expect(done.values.decisions).toMatchObject([{ type: "edit", stage: "answer" }]);
  }, 30_000);

  it("answers a question the knowledge base covers without pausing", async () => {
    const thread = await client.threads.create();
    await run(thread.thread_id, {
      input: { question: "How many days do I have to return unused items?" },
    });

    const done = await client.threads.getState<Record<string, unknown>>(thread.thread_id);
    expect(done.next).toEqual([]);
    expect(done.tasks.flatMap((t) => t.interrupts)).toEqual([]);
    expect(done.values.provenance).toBe("auto");
    expect(done.values.answer).toEqual(expect.any(String));
    expect(done.values.answer).toMatch(/\d+ days/);
  }, 30_000);

  it("shows the graph's settings as its context schema, and a run's context overrides them", async () => {
    const [assistant] = await client.assistants.search({ graphId: GRAPH_ID });
    const schemas = await client.assistants.getSchemas(assistant!.assistant_id);
    const settings = (
      schemas.context_schema?.properties?.settings as { properties?: Record<string, unknown> }
    ).properties;
    expect(Object.keys(settings ?? {})).toEqual(
      expect.arrayContaining(["retrievalThreshold", "judgeThreshold", "topK", "revisionLimit"]),
    );

    // The same question as above, answered on its own at the environment's thresholds.
    const thread = await client.threads.create();
    await run(thread.thread_id, {
      input: { question: "How many days do I have to return unused items?" },
      context: { settings: { retrievalThreshold: 1, judgeThreshold: 1 } },
    });
    const paused = await client.threads.getState(thread.thread_id);
    const [value] = paused.tasks.flatMap((t) => t.interrupts).map((i) => i.value) as {
      card: { reason: string };
    }[];
    expect(value?.card.reason).toMatch(/ score \d\.\d\d is under 1\.00$/);
  }, 30_000);
});
