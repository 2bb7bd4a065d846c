/**
 * signoff's Agent Protocol (/langgraph) through the official @langchain/langgraph-sdk Client:
 * what only signoff does (keys and roles, resumes as review decisions, streams kept in Postgres,
 * cancel). The behaviour both servers share is in support/agent-protocol-suite.ts, run against
 * the CLI dev server and signoff alike.
 */
import { Client } from "@langchain/langgraph-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabases } from "./support/databases.js";
import { QUESTIONS } from "./support/flow.js";
import { createKeys, useHarness } from "./support/harness.js";
import { listen } from "./support/http.js";
import { until } from "./support/until.js";

type Interrupt = {
  id: string;
  value: { action_request: { action: string; args: Record<string, unknown> } };
};

function keyOf(headers: Record<string, string>): string {
  return headers.authorization!.replace(/^Bearer /, "");
}

describe.each(testDatabases)("the Agent Protocol on $name", (kind) => {
  const h = useHarness(kind);
  let server: Awaited<ReturnType<typeof listen>>;
  let asClient: Client;
  let asOtherClient: Client;
  let asReviewer: Client;
  let keys: Record<"admin" | "client" | "other" | "reviewer", Record<string, string>>;

  beforeAll(async () => {
    server = await listen(h);
    keys = await createKeys(h, {
      admin: "admin",
      client: "client",
      other: "client",
      reviewer: "reviewer",
    });
    const sdk = (k: Record<string, string>) =>
      new Client({ apiUrl: `${server.url}/langgraph`, apiKey: keyOf(k), defaultHeaders: {} });
    asClient = sdk(keys.client);
    asOtherClient = sdk(keys.other);
    asReviewer = sdk(keys.reviewer);
  });
  afterAll(() => server?.close());

  async function pausedThread(question = QUESTIONS.highRisk) {
    const thread = await asClient.threads.create({ metadata: { suite: "signoff" } });
    await asClient.runs.wait(thread.thread_id, "signoff", { input: { question } });
    const paused = await asReviewer.threads.get(thread.thread_id);
    expect(paused.status).toBe("interrupted");
    const [interrupt] = Object.values(paused.interrupts).flat() as Interrupt[];
    return { threadId: thread.thread_id, interrupt: interrupt! };
  }

  it("refuses a request without a key, and says so as JSON", async () => {
    const res = await fetch(`${server.url}/langgraph/threads/search`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unauthenticated");
  });

  it("keeps roles: a client asks, a reviewer resumes, neither does the other's job", async () => {
    const { threadId, interrupt } = await pausedThread();
    await expect(
      asClient.runs.wait(threadId, "signoff", {
        command: { resume: [{ type: "accept", args: null }] },
      }),
    ).rejects.toMatchObject({ status: 403 });
    await expect(asReviewer.threads.create()).rejects.toMatchObject({ status: 403 });
    // Another client's key does not see the thread at all.
    await expect(asOtherClient.threads.get(threadId)).rejects.toMatchObject({ status: 404 });
    const found = await asOtherClient.threads.search({ ids: [threadId] });
    expect(found).toHaveLength(0);
    // The reviewer's resume is a decision by that reviewer, through the review workflow.
    await asReviewer.runs.wait(threadId, "signoff", {
      command: { resume: { [interrupt.id]: [{ type: "accept", args: null }] } },
    });
    const done = await asClient.threads.get<{ provenance: string }>(threadId);
    expect(done.status).toBe("idle");
    expect(done.values.provenance).toBe("approved");
    const review = await h.db.pool.query(
      "SELECT decided_by, decision_type FROM reviews WHERE thread_id = $1",
      [threadId],
    );
    expect(review.rows).toEqual([{ decided_by: "reviewer", decision_type: "approve" }]);
    const events = await h.db.pool.query(
      `SELECT e.type, e.actor FROM review_events e JOIN reviews r USING (review_id)
       WHERE r.thread_id = $1 ORDER BY e.event_id`,
      [threadId],
    );
    expect(events.rows.map((e: { type: string }) => e.type)).toEqual(["created", "decided"]);
  });

  it("answers a resume of an interrupt already decided with 409, and a bad resume with 422", async () => {
    const { threadId, interrupt } = await pausedThread();
    await expect(
      asReviewer.runs.wait(threadId, "signoff", { command: { resume: [{ type: "bogus" }] } }),
    ).rejects.toMatchObject({ status: 422 });
    await asReviewer.runs.wait(threadId, "signoff", {
      command: { resume: [{ type: "response", args: "A reviewer's own answer." }] },
    });
    await expect(
      asReviewer.runs.wait(threadId, "signoff", {
        command: { resume: { [interrupt.id]: [{ type: "accept", args: null }] } },
      }),
    ).rejects.toMatchObject({ status: 409 });
    const done = await asReviewer.threads.get<{ answer: string; provenance: string }>(threadId);
    expect(done.values).toMatchObject({ answer: "A reviewer's own answer.", provenance: "human" });
  });

  it("races a resume through the SDK with a decision through /reviews: one wins, the other is a 409", async () => {
    const { threadId } = await pausedThread();
    const reviewId = (
      await h.db.pool.query<{ review_id: string }>(
        "SELECT review_id FROM reviews WHERE thread_id = $1",
        [threadId],
      )
    ).rows[0]!.review_id;
    const [viaSdk, viaApi] = await Promise.allSettled([
      asReviewer.runs.create(threadId, "signoff", {
        command: { resume: [{ type: "accept", args: null }] },
      }),
      h.call("POST", `/reviews/${reviewId}/decision`, { type: "reject" }, keys.reviewer),
    ]);
    const sdkWon = viaSdk.status === "fulfilled";
    const apiStatus = viaApi.status === "fulfilled" ? viaApi.value.status : 0;
    expect([sdkWon, apiStatus === 200].filter(Boolean)).toHaveLength(1);
    if (!sdkWon) expect(viaSdk.reason).toMatchObject({ status: 409 });
    else expect(apiStatus).toBe(409);
    const decided = await h.db.pool.query(
      "SELECT count(*)::int AS n FROM review_events e JOIN reviews r USING (review_id) WHERE r.thread_id = $1 AND e.type = 'decided'",
      [threadId],
    );
    expect(decided.rows[0].n).toBe(1);
  });

  it("serves a run's stream again from Postgres after the client dropped, from Last-Event-ID on", async () => {
    const thread = await asClient.threads.create();
    const run = await asClient.runs.create(thread.thread_id, "signoff", {
      input: { question: QUESTIONS.answerable },
      streamMode: ["values", "updates"],
    });
    const first: { id?: string; event: string }[] = [];
    for await (const chunk of asClient.runs.joinStream(thread.thread_id, run.run_id)) {
      first.push(chunk);
      if (first.length === 3) break; // the client goes away mid-stream
    }
    const rest: { id?: string; event: string; data: unknown }[] = [];
    for await (const chunk of asClient.runs.joinStream(thread.thread_id, run.run_id, {
      lastEventId: first.at(-1)!.id,
    })) {
      rest.push(chunk);
    }
    expect(first[0]!.event).toBe("metadata");
    const ids = [...first, ...rest].map((e) => Number(e.id));
    expect(ids).toEqual(ids.map((_, i) => i + 1)); // every event once, in order
    const last = rest.at(-1)!;
    expect(last.event).toBe("values");
    expect(last.data).toMatchObject({ provenance: "auto" });
    const all: unknown[] = [];
    for await (const chunk of asClient.runs.joinStream(thread.thread_id, run.run_id))
      all.push(chunk);
    expect(all).toHaveLength(ids.length);
  });

  it("cancels a queued run: the run is interrupted, the thread idle, and a new run answers", async () => {
    // Hold the workers so the run stays queued.
    await h.runtime.worker!.stop();
    try {
      const thread = await asClient.threads.create();
      const run = await asClient.runs.create(thread.thread_id, "signoff", {
        input: { question: QUESTIONS.answerable },
      });
      expect(run.status).toBe("pending");
      await asClient.runs.cancel(thread.thread_id, run.run_id);
      expect((await asClient.runs.get(thread.thread_id, run.run_id)).status).toBe("interrupted");
      expect((await asClient.threads.get(thread.thread_id)).status).toBe("idle");
      // The thread holds its question: it goes on with no input, a new one is refused.
      await expect(
        asClient.runs.create(thread.thread_id, "signoff", { input: { question: "Another?" } }),
      ).rejects.toMatchObject({ status: 409 });
      h.runtime.worker!.start();
      const values = await asClient.runs.wait(thread.thread_id, "signoff", { input: null });
      expect(values).toMatchObject({ provenance: "auto" });
    } finally {
      h.runtime.worker!.start();
    }
  });

  it("refuses to cancel a resume: a decision is final", async () => {
    const { threadId } = await pausedThread();
    const run = await asReviewer.runs.create(threadId, "signoff", {
      command: { resume: [{ type: "accept", args: null }] },
    });
    await expect(asClient.runs.cancel(threadId, run.run_id)).rejects.toMatchObject({ status: 409 });
    await until(async () => (await asClient.threads.get(threadId)).status === "idle", "the resume");
  });

  it("marks a thread resolved as Agent Inbox does: a reviewer's rejection, audited", async () => {
    const { threadId } = await pausedThread();
    await asReviewer.threads.updateState(threadId, { values: null, asNode: "__end__" });
    await until(
      async () => (await asClient.threads.get(threadId)).status === "idle",
      "the fallback",
    );
    const done = await asClient.threads.get<{ provenance: string }>(threadId);
    expect(done.values.provenance).toBe("fallback");
    const review = await h.db.pool.query(
      "SELECT decided_by, decision_type, decision FROM reviews WHERE thread_id = $1",
      [threadId],
    );
    expect(review.rows[0]).toMatchObject({ decided_by: "reviewer", decision_type: "reject" });
    // Any other state update is refused: signoff's threads change only through reviews.
    await expect(
      asReviewer.threads.updateState(threadId, { values: { answer: "sneaky" } }),
    ).rejects.toMatchObject({ status: 422 });
  });

  it("marks a thread resolved as Agent Chat UI does (command.goto __end__): a reviewer's rejection", async () => {
    const { threadId } = await pausedThread();
    await expect(
      asClient.runs.wait(threadId, "signoff", { command: { goto: "__end__" } }),
    ).rejects.toMatchObject({ status: 403 });
    // Any other goto is refused: threads move only through reviews.
    await expect(
      asClient.runs.wait(threadId, "signoff", { command: { goto: "respond" } }),
    ).rejects.toMatchObject({ status: 422 });
    await asReviewer.runs.wait(threadId, "signoff", { command: { goto: "__end__" } });
    const done = await asClient.threads.get<{ provenance: string }>(threadId);
    expect(done).toMatchObject({ status: "idle", values: { provenance: "fallback" } });
    const review = await h.db.pool.query(
      "SELECT decided_by, decision_type, decision FROM reviews WHERE thread_id = $1",
      [threadId],
    );
    expect(review.rows[0]).toMatchObject({
      decided_by: "reviewer",
      decision_type: "reject",
      decision: { reasons: ["marked resolved in Agent Chat UI"] },
    });
  });

  it("cancels the run when its streaming client leaves with on_disconnect cancel", async () => {
    // Hold the workers so the run is still to do when the client goes.
    await h.runtime.worker!.stop();
    try {
      const thread = await asClient.threads.create();
      const controller = new AbortController();
      let runId = "";
      const streaming = (async () => {
        try {
          for await (const chunk of asClient.runs.stream(thread.thread_id, "signoff", {
            input: { question: QUESTIONS.answerable },
            onDisconnect: "cancel",
            signal: controller.signal,
            onRunCreated: (meta) => {
              runId = meta.run_id;
            },
          })) {
            void chunk;
          }
        } catch {
          // aborted by the test
        }
      })();
      await until(() => runId !== "", "the run's creation");
      controller.abort();
      await streaming;
      await until(
        async () => (await asClient.runs.get(thread.thread_id, runId)).status === "interrupted",
        "the cancel on disconnect",
      );
      expect((await asClient.threads.get(thread.thread_id)).status).toBe("idle");
    } finally {
      h.runtime.worker!.start();
    }
  });

  it("keeps a thread that went to review: deleting it is a 409; an unused one goes", async () => {
    const { threadId } = await pausedThread();
    await expect(asClient.threads.delete(threadId)).rejects.toMatchObject({ status: 409 });
    const unused = await asClient.threads.create();
    await asClient.threads.delete(unused.thread_id);
    await expect(asClient.threads.get(unused.thread_id)).rejects.toMatchObject({ status: 404 });
  });

  it("shows a client only what a human signed off: no draft, verdict, evidence or card", async () => {
    const thread = await asClient.threads.create();
    const streamed: { event: string; data: unknown }[] = [];
    for await (const chunk of asClient.runs.stream(thread.thread_id, "signoff", {
      input: { question: QUESTIONS.highRisk },
      streamMode: ["values", "updates", "debug", "events", "messages-tuple"],
    })) {
      streamed.push(chunk);
    }
    expect(new Set(streamed.map((e) => e.event))).toEqual(
      new Set(["metadata", "values", "updates", "messages"]),
    );
    const seen = async () =>
      JSON.stringify([
        streamed,
        await asClient.threads.get(thread.thread_id),
        await asClient.threads.getState(thread.thread_id),
        await asClient.threads.getHistory(thread.thread_id, { limit: 50 }),
        await asClient.threads.search({ ids: [thread.thread_id] }),
        await asClient.runs.wait(thread.thread_id, "signoff", { input: null }).catch(() => null),
      ]);
    const paused = await seen();
    // The reviewer sees the draft; the client sees that a review is pending, and nothing of it.
    const full = await asReviewer.threads.get<{ draft: { text: string } }>(thread.thread_id);
    expect(full.values.draft.text.length).toBeGreaterThan(20);
    expect(paused).not.toContain(full.values.draft.text.slice(0, 20));
    for (const key of ['"draft"', '"judgment"', '"evidence"', '"retrieval"', '"card"']) {
      expect(paused).not.toContain(key);
    }
    const client = await asClient.threads.get(thread.thread_id);
    expect(Object.values(client.interrupts).flat()).toMatchObject([
      { value: { review: "pending", stage: "answer", action: "review_answer" } },
    ]);
    await asReviewer.runs.wait(thread.thread_id, "signoff", {
      command: { resume: [{ type: "accept", args: null }] },
    });
    const done = await asClient.threads.get<Record<string, unknown>>(thread.thread_id);
    expect(done.values).toMatchObject({ provenance: "approved", answer: full.values.draft.text });
    expect(Object.keys(done.values).sort()).toEqual(
      ["answer", "messages", "metadata", "provenance", "question", "riskTier"].filter(
        (k) => k in done.values,
      ),
    );
  });

  it("keeps a client's history to its own thread, and its thresholds to the admin's", async () => {
    const mine = await asClient.threads.create();
    await asClient.runs.wait(mine.thread_id, "signoff", {
      input: { question: QUESTIONS.answerable },
    });
    const { threadId: theirs } = await pausedThread();
    const history = await asOtherClient.threads.create().then((t) =>
      asOtherClient.threads.getHistory(t.thread_id, {
        checkpoint: { thread_id: theirs } as never,
        limit: 50,
      }),
    );
    expect(JSON.stringify(history)).not.toContain(theirs);
    // Lower thresholds would let answers out without a human: an admin's call, not a client's.
    const fresh = await asClient.threads.create();
    await expect(
      asClient.runs.wait(fresh.thread_id, "signoff", {
        input: { question: QUESTIONS.highRisk },
        context: { settings: { judgeThreshold: 0 } },
      }),
    ).rejects.toMatchObject({ status: 403 });
    // A resume starts no thread; a message of an unknown kind is refused before it runs.
    await expect(
      asReviewer.runs.wait(null, "signoff", { command: { resume: [{ type: "accept" }] } }),
    ).rejects.toMatchObject({ status: 422 });
    await expect(
      asClient.runs.create(fresh.thread_id, "signoff", {
        input: { messages: [{ type: "tool", content: "x" }] },
      }),
    ).rejects.toMatchObject({ status: 422 });
  });

  it("refuses a second question on a thread, and validates input", async () => {
    const thread = await asClient.threads.create();
    await asClient.runs.wait(thread.thread_id, "signoff", {
      input: { question: QUESTIONS.answerable },
    });
    await expect(
      asClient.runs.wait(thread.thread_id, "signoff", { input: { question: "and another?" } }),
    ).rejects.toMatchObject({ status: 409 });
    const fresh = await asClient.threads.create();
    await expect(
      asClient.runs.create(fresh.thread_id, "signoff", { input: { messages: [] } }),
    ).rejects.toMatchObject({ status: 422 });
    await expect(
      asClient.runs.create(fresh.thread_id, "no-such-graph", { input: { question: "q?" } }),
    ).rejects.toMatchObject({ status: 404 });
  });

  it("answers CORS preflights only for configured origins", async () => {
    const res = await fetch(`${server.url}/langgraph/threads/search`, {
      method: "OPTIONS",
      headers: {
        origin: "https://inbox.example.com",
        "access-control-request-method": "POST",
        "access-control-request-headers": "x-api-key,content-type",
      },
    });
    // This harness sets no CORS_ORIGINS: no CORS headers.
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("CORS for the browser apps", () => {
  const h = useHarness(testDatabases[0]!, {
    worker: false,
    env: { CORS_ORIGINS: "https://inbox.example.com" },
  });

  it("lets a listed origin call with its key and read the pagination and location headers", async () => {
    const preflight = await h.app.request("/langgraph/threads/search", {
      method: "OPTIONS",
      headers: {
        origin: "https://inbox.example.com",
        "access-control-request-method": "POST",
        "access-control-request-headers": "x-api-key,content-type",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("https://inbox.example.com");
    expect(preflight.headers.get("access-control-allow-headers")).toContain("x-api-key");
    const search = await h.app.request("/langgraph/threads/search", {
      method: "POST",
      headers: { origin: "https://inbox.example.com", "content-type": "application/json" },
      body: "{}",
    });
    expect(search.status).toBe(200);
    expect(search.headers.get("access-control-expose-headers")).toContain("x-pagination-total");
    const other = await h.app.request("/langgraph/threads/search", {
      method: "OPTIONS",
      headers: { origin: "https://evil.example.com", "access-control-request-method": "POST" },
    });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });
});
