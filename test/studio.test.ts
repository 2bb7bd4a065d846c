/**
 * The graph Studio loads (langgraph.json → src/graph/studio.ts), run by the real LangGraph CLI
 * dev server in a child process and driven through @langchain/langgraph-sdk, as Studio does.
 */
import { Client } from "@langchain/langgraph-sdk";
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { DEV_SERVER_STARTUP_MS, startDevServer, type DevServer } from "./support/dev-server.js";

const GRAPH_ID = "signoff";

let server: DevServer | undefined;
let client: Client;
const tail = () => server?.tail() ?? "(not started)";

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
  server = await startDevServer();
  client = new Client({ apiUrl: server.url });
}, DEV_SERVER_STARTUP_MS + 10_000);

afterAll(() => server?.stop(), 15_000);

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
