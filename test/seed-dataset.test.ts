import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { testDatabases } from "./support/databases.js";
import { useHarness } from "./support/harness.js";

/**
 * The seed eval dataset (evals/datasets/seed.jsonl): its shape, and that every question still takes
 * the route recorded in `offline_route` on the offline provider at default thresholds. A change to
 * the graph, policy or knowledge base that moves a route fails here with the question's id.
 *
 * SEED_REMEASURE=1 records the routes instead of asserting them and rewrites offline_route in the
 * file (nothing else); review the diff and the notes of rows whose route moved.
 */

const DATASET_PATH = fileURLToPath(new URL("../evals/datasets/seed.jsonl", import.meta.url));
const REMEASURE = process.env.SEED_REMEASURE === "1";

const categories = ["answerable", "unanswerable", "high_risk", "adversarial"] as const;
const routes = ["auto", "retrieval_review", "answer_review", "refusal"] as const;

const seedRow = z
  .object({
    id: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "ids are kebab-case"),
    question: z.string().trim().min(1),
    category: z.enum(categories),
    expected_route: z.enum(routes),
    offline_route: z.enum(routes),
    reference_answer: z.string().trim().min(1).nullable(),
    domain: z.enum(["store", "health", "finance", "none"]),
    notes: z.string().trim().min(1),
  })
  .strict();

type SeedRow = z.infer<typeof seedRow>;

/** Rules over the whole dataset; each issue names the ids it is about. */
const seedDataset = z
  .array(seedRow)
  .min(60)
  .superRefine((rows, ctx) => {
    const fail = (message: string, ids: string[]) => {
      if (ids.length > 0)
        ctx.addIssue({ code: "custom", message: `${message}: ${ids.join(", ")}` });
    };
    const seen = new Set<string>();
    fail(
      "duplicate ids",
      rows.map((r) => r.id).filter((id) => (seen.has(id) ? true : (seen.add(id), false))),
    );
    fail(
      "categories without a row",
      categories.filter((c) => !rows.some((r) => r.category === c)),
    );
    fail(
      "expected routes without a row",
      routes.filter((c) => !rows.some((r) => r.expected_route === c)),
    );
    fail(
      "answerable and high_risk rows need a reference_answer",
      rows
        .filter(
          (r) =>
            (r.category === "answerable" || r.category === "high_risk") &&
            r.reference_answer === null,
        )
        .map((r) => r.id),
    );
    fail(
      "unanswerable rows have no reference_answer and expect retrieval_review",
      rows
        .filter(
          (r) =>
            r.category === "unanswerable" &&
            (r.reference_answer !== null || r.expected_route !== "retrieval_review"),
        )
        .map((r) => r.id),
    );
    fail(
      "rows whose offline_route differs from expected_route must say why in notes ('Known gap …' or 'Known policy miss …')",
      rows
        .filter(
          (r) => r.offline_route !== r.expected_route && !/known (gap|policy miss)/i.test(r.notes),
        )
        .map((r) => r.id),
    );
    const injectionMisses = rows.filter(
      (r) =>
        r.category === "adversarial" &&
        r.expected_route === "refusal" &&
        r.offline_route !== "refusal",
    );
    if (injectionMisses.length > 3)
      fail(
        "more than 3 known injection misses",
        injectionMisses.map((r) => r.id),
      );
  });

const lines = readFileSync(DATASET_PATH, "utf8")
  .split("\n")
  .map((text, index) => ({ text, line: index + 1 }))
  .filter(({ text }) => text.trim() !== "");

type Parsed = { line: number; row: SeedRow } | { line: number; error: string };

const parsed: Parsed[] = lines.map(({ text, line }): Parsed => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { line, error: `invalid JSON: ${(error as Error).message}` };
  }
  const result = seedRow.safeParse(json);
  if (!result.success) return { line, error: z.prettifyError(result.error) };
  return { line, row: result.data };
});

const rows: SeedRow[] = parsed.flatMap((p) => ("row" in p ? [p.row] : []));

describe("seed dataset shape", () => {
  it("every line is a valid row", () => {
    const errors = parsed.flatMap((p) => ("error" in p ? [`line ${p.line}: ${p.error}`] : []));
    expect(errors).toEqual([]);
  });

  it("as a whole: ≥ 60 rows, unique ids, every category and route, references where needed", () => {
    const result = seedDataset.safeParse(rows);
    expect(result.success ? [] : result.error.issues.map((i) => i.message)).toEqual([]);
  });
});

/** The part of a thread view the route depends on. */
const threadView = z.object({
  status: z.string(),
  risk_tier: z.string().nullable(),
  provenance: z.string().nullable(),
  error: z.string().nullable(),
  reviews: z.array(z.object({ stage: z.string(), status: z.string() })),
});

/** The route a thread took, in the dataset's terms; anything else is described for the failure message. */
function routeOf(thread: z.infer<typeof threadView>): string {
  if (thread.status === "completed" && thread.risk_tier === "blocked") return "refusal";
  if (thread.status === "completed" && thread.provenance === "auto") return "auto";
  if (thread.status === "awaiting_review") {
    const pending = thread.reviews.filter((r) => r.status === "pending");
    if (pending.length === 1) return `${pending[0]!.stage}_review`;
  }
  return `unexpected (status ${thread.status}, provenance ${thread.provenance}, risk ${thread.risk_tier}, error ${thread.error})`;
}

const kind = testDatabases[0]!; // embedded PGlite: routes do not depend on the database kind
const measured = new Map<string, string>();

describe(`seed dataset routes on the offline graph (${kind.name})`, () => {
  const h = useHarness(kind);

  afterAll(() => {
    if (REMEASURE && measured.size > 0) rewriteOfflineRoutes();
  });

  it.each(rows)("$id → $offline_route", async (row) => {
    const res = await h.call("POST", "/threads?wait=20", { question: row.question });
    expect(res.status, `${row.id}: POST /threads → ${JSON.stringify(res.body)}`).toBe(202);
    const route = routeOf(threadView.parse(res.body));
    if (REMEASURE) {
      measured.set(row.id, route);
      return;
    }
    expect(
      route,
      `${row.id} ("${row.question}") now routes to ${route}, dataset says ${row.offline_route}`,
    ).toBe(row.offline_route);
  });
});

/** SEED_REMEASURE=1: writes the measured routes back, leaving every other field and line as it was. */
function rewriteOfflineRoutes(): void {
  const out = readFileSync(DATASET_PATH, "utf8")
    .split("\n")
    .map((text) => {
      if (text.trim() === "") return text;
      const obj = JSON.parse(text) as Record<string, unknown>;
      const route = measured.get(String(obj.id));
      if (route === undefined || !(routes as readonly string[]).includes(route)) return text;
      return JSON.stringify({ ...obj, offline_route: route });
    });
  writeFileSync(DATASET_PATH, out.join("\n"));
}
