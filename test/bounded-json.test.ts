import { describe, expect, it } from "vitest";
import { jsonDepth } from "../src/validation/bounded-json.js";
import { testDatabases } from "./support/databases.js";
import { QUESTIONS } from "./support/flow.js";
import { useHarness } from "./support/harness.js";

/** The body as text: JSON.stringify itself overflows the stack on values this deep. */
function deepBody(levels: number): string {
  const metadata = `${'{"a":'.repeat(levels - 1)}{}${"}".repeat(levels - 1)}`;
  return `{"question": ${JSON.stringify(QUESTIONS.answerable)}, "metadata": ${metadata}}`;
}

function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let i = 1; i < levels; i++) value = { a: value };
  return value;
}

describe("jsonDepth", () => {
  it("counts nesting without recursion, arrays included", () => {
    expect(jsonDepth({})).toBe(1);
    expect(jsonDepth({ a: [{ b: 1 }] })).toBe(3);
    expect(jsonDepth("text")).toBe(0);
    expect(jsonDepth(nested(100_000))).toBe(100_000);
  });
});

describe.each(testDatabases)("free-form JSON is bounded ($name)", (kind) => {
  const h = useHarness(kind, { worker: false, env: { SEED_SAMPLE_KB: "false" } });

  it("metadata nested 5,000 levels deep is a 422 that names the field", async () => {
    const res = await h.call("POST", "/threads", deepBody(5000));
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe("validation_failed");
    expect(res.body.error.details).toEqual([
      { path: "metadata", message: "nested 5000 levels deep; at most 16 are allowed" },
    ]);
  });

  it("metadata over 16 KB is a 422 that names the field", async () => {
    const res = await h.call("POST", "/threads", {
      question: QUESTIONS.answerable,
      metadata: { notes: "x".repeat(20_000) },
    });
    expect(res.status).toBe(422);
    expect(res.body.error.details[0].path).toBe("metadata");
    expect(res.body.error.details[0].message).toMatch(/bytes as JSON; at most 16384/);
  });

  it("metadata within the bounds is stored as sent", async () => {
    const metadata = { tags: ["a", "b"], deep: nested(15) };
    const res = await h.call("POST", "/threads", { question: QUESTIONS.answerable, metadata });
    expect(res.status).toBe(202);
    expect(res.body.metadata).toEqual(metadata);
  });
});
