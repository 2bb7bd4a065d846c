import { Client } from "@langchain/langgraph-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../src/db/database.js";
import { BedrockStandIn } from "./support/bedrock-stand-in.js";
import { reopenable, testDatabaseUrl, type ReopenableDatabase } from "./support/databases.js";
import { QUESTIONS } from "./support/flow.js";
import { startHarness, type Harness } from "./support/harness.js";
import { listen } from "./support/http.js";
import { until } from "./support/until.js";
import { spawnBedrockWorker, type WorkerProcess } from "./support/worker-process.js";

// Three processes that share nothing but Postgres (TEST_DATABASE_URL, set by CI): the run is
// created through one API process, executed by a worker process that is killed mid-run and
// taken over by another, and streamed to a client connected to a third process throughout.
describe.runIf(testDatabaseUrl)("one run across processes (postgres)", () => {
  let store: ReopenableDatabase;
  const dbs: Database[] = [];
  const harnesses: Harness[] = [];
  const servers: Awaited<ReturnType<typeof listen>>[] = [];
  let bedrock: BedrockStandIn;
  let child: WorkerProcess | undefined;

  async function process_(worker: boolean, seed = false) {
    const db = await store.open();
    dbs.push(db);
    const h = await startHarness(db, { worker, env: { SEED_SAMPLE_KB: String(seed) } });
    harnesses.push(h);
    const server = await listen(h);
    servers.push(server);
    return { h, client: new Client({ apiUrl: `${server.url}/langgraph` }) };
  }

  beforeAll(async () => {
    store = await reopenable("postgres");
    bedrock = await BedrockStandIn.start();
  });
  afterAll(async () => {
    await child?.kill();
    for (const s of servers) await s.close();
    for (const h of harnesses) await h.close();
    for (const db of dbs) await db.close();
    await bedrock?.close();
    await store?.destroy();
  });

  it("streams to a third process while a worker process dies and another takes over", async () => {
    // The first process loads the sample knowledge base, so the question reaches the model.
    const creator = await process_(false, true);
    const watcher = await process_(false);
    // The model never answers the first worker: it is killed while generation waits on it.
    bedrock.replyText("never delivered", { delayMs: 120_000 });
    child = spawnBedrockWorker(store.url, bedrock.url);

    const thread = await creator.client.threads.create();
    const run = await creator.client.runs.create(thread.thread_id, "signoff", {
      input: { question: QUESTIONS.highRisk },
      streamMode: ["values", "updates"],
    });
    const events: { id?: string; event: string; data: unknown }[] = [];
    const streamed = (async () => {
      for await (const chunk of watcher.client.runs.joinStream(thread.thread_id, run.run_id)) {
        events.push(chunk);
      }
    })();

    await until(
      () => bedrock.requests.length > 0,
      `the worker process to call the model\n${child.log()}`,
    );
    // The watcher already has the first attempt's events, written by the other process.
    await until(() => events.some((e) => e.event === "updates"), "events of the first attempt");
    await child.kill();

    // A worker in another process (offline models) takes the run over once the lease runs out.
    await process_(true);
    await streamed;

    const attempts = events
      .filter((e) => e.event === "metadata")
      .map((e) => (e.data as { attempt: number }).attempt);
    expect(attempts, child.log()).toEqual([1, 2]);
    const ids = events.map((e) => Number(e.id));
    expect(ids).toEqual(ids.map((_, i) => i + 1));
    const last = events.at(-1)!;
    expect(last.event).toBe("values");
    expect(Object.keys(last.data as object)).toEqual(["__interrupt__"]);
    const state = await creator.client.threads.get(thread.thread_id);
    expect(state.status).toBe("interrupted");
    const reviews = await dbs[0]!.pool.query(
      "SELECT count(*)::int AS n FROM reviews WHERE thread_id = $1",
      [thread.thread_id],
    );
    expect(reviews.rows[0].n).toBe(1);
    expect((await creator.client.runs.get(thread.thread_id, run.run_id)).status).toBe("success");
  });
});
