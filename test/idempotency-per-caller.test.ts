import { beforeAll, describe, expect, it } from "vitest";
import { testDatabases } from "./support/databases.js";
import { QUESTIONS } from "./support/flow.js";
import { useHarness } from "./support/harness.js";

describe.each(testDatabases)("Idempotency-Key is scoped to the caller ($name)", (kind) => {
  const h = useHarness(kind);
  let a: Record<string, string>;
  let b: Record<string, string>;

  async function completedThread(auth: Record<string, string>): Promise<string> {
    const res = await h.call("POST", "/threads?wait=20", { question: QUESTIONS.answerable }, auth);
    expect(res.status).toBe(202);
    expect(res.body.status).toBe("completed");
    return res.body.thread_id as string;
  }

  beforeAll(async () => {
    const admin = await h.call("POST", "/keys", { name: "root", role: "admin" });
    const root = { authorization: `Bearer ${admin.body.key}` };
    const keyA = await h.call("POST", "/keys", { name: "app-a", role: "client" }, root);
    const keyB = await h.call("POST", "/keys", { name: "app-b", role: "client" }, root);
    a = { authorization: `Bearer ${keyA.body.key}` };
    b = { authorization: `Bearer ${keyB.body.key}` };
  });

  it("for feedback: another client may use the same key on its own thread", async () => {
    const threadA = await completedThread(a);
    const threadB = await completedThread(b);
    const same = { "idempotency-key": "feedback-1" };
    const body = { rating: 4, reasons: [] };
    const fromA = await h.call("POST", `/threads/${threadA}/feedback`, body, { ...a, ...same });
    expect(fromA.status).toBe(201);
    const fromB = await h.call("POST", `/threads/${threadB}/feedback`, body, { ...b, ...same });
    expect(fromB.status, JSON.stringify(fromB.body)).toBe(201);
    expect(fromB.body.feedback_id).not.toBe(fromA.body.feedback_id);

    // Each caller's repeat is recognised as its own, and reusing it elsewhere is still refused.
    const repeatA = await h.call("POST", `/threads/${threadA}/feedback`, body, { ...a, ...same });
    expect(repeatA.status).toBe(200);
    expect(repeatA.body.feedback_id).toBe(fromA.body.feedback_id);
    const otherA = await completedThread(a);
    const misuse = await h.call("POST", `/threads/${otherA}/feedback`, body, { ...a, ...same });
    expect(misuse.status).toBe(409);
    expect(misuse.body.error.code).toBe("idempotency_key_reused");
    const { rows } = await h.db.pool.query<{ caller_id: string; actor: string }>(
      "SELECT caller_id, actor FROM feedback WHERE idempotency_key = 'feedback-1' ORDER BY actor",
    );
    expect(rows.map((r) => r.actor)).toEqual(["app-a", "app-b"]);
    expect(new Set(rows.map((r) => r.caller_id)).size).toBe(2);
  });

  it("for threads: another client's key starts its own thread", async () => {
    const same = { "idempotency-key": "thread-1" };
    const question = { question: QUESTIONS.answerable };
    const fromA = await h.call("POST", "/threads", question, { ...a, ...same });
    const fromB = await h.call("POST", "/threads", question, { ...b, ...same });
    expect(fromA.status).toBe(202);
    expect(fromB.status).toBe(202);
    expect(fromB.body.thread_id).not.toBe(fromA.body.thread_id);
  });
});
