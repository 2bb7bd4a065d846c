import { writeFile, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { defaultPolicy } from "../src/graph/default-policy.js";
import { loadPolicy } from "../src/graph/load-policy.js";
import { curatedDomains } from "../src/graph/policy.js";
import { loadMigrations } from "../src/db/migrate.js";
import { curationResponse, documentDecisionResponse } from "../src/api/document-schemas.js";
import { documentResponse, reviewResponse, threadResponse } from "../src/api/schemas.js";
import { testDatabases } from "./support/databases.js";
import { useHarness, type Harness } from "./support/harness.js";

const HEALTH_V1 = {
  title: "Zorbexamine dosing",
  source: "health/zorbexamine.md",
  domain: "health",
  text: "Zorbexamine is taken with food. The maximum daily dose of zorbexamine for adults is 40 mg, split into two doses.",
};
const HEALTH_V2 = {
  ...HEALTH_V1,
  text: "Zorbexamine is taken with food. The maximum daily dose of zorbexamine for adults is 30 mg, split into two doses.",
};
const QUESTION = "What is the maximum daily dose of zorbexamine for adults?";

type Who = "admin" | "health" | "finance" | "client";

/** The harness's keys: an admin, a health and a finance reviewer, an app's client key. */
async function makeKeys(h: Harness): Promise<Record<Who, Record<string, string>>> {
  const first = await h.call("POST", "/keys", { name: "root", role: "admin" });
  expect(first.status).toBe(201);
  const admin = { authorization: `Bearer ${first.body.key}` };
  const make = async (name: string, role: string, domains?: string[]) => {
    const res = await h.call("POST", "/keys", { name, role, domains }, admin);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.domains).toEqual(domains ?? null);
    return { authorization: `Bearer ${res.body.key}` };
  };
  return {
    admin,
    health: await make("dr-house", "reviewer", ["health"]),
    finance: await make("ms-ledger", "reviewer", ["finance"]),
    client: await make("shop-app", "client"),
  };
}

describe.each(testDatabases)("curated knowledge ($name)", (kind) => {
  // A webhook URL nobody listens on: the outbox is written, delivery just keeps failing.
  const h = useHarness(kind, {
    env: { WEBHOOK_URL: "http://127.0.0.1:9/hooks", WEBHOOK_SECRET: "s".repeat(32) },
  });
  let keys: Record<Who, Record<string, string>>;
  const as = (who: Who) => keys[who];

  const post = async (doc: object) => {
    const res = await h.call("POST", "/documents", doc, as("admin"));
    expect([200, 201], JSON.stringify(res.body)).toContain(res.status);
    return documentResponse.parse(res.body);
  };
  /** What the retriever finds for the question, as document ids with the text. */
  const retrieved = async (question = QUESTION) => {
    const { passages } = await h.runtime.context.providers.retriever.retrieve(question, 5);
    return passages.map((p) => ({ document_id: p.document_id, text: p.text }));
  };
  const ids = async (question = QUESTION) => (await retrieved(question)).map((p) => p.document_id);
  /** Asks through the graph (a high-risk question: it pauses for answer review). */
  const askForCard = async () => {
    const started = await h.call("POST", "/threads?wait=20", { question: QUESTION }, as("client"));
    expect(started.status).toBe(202);
    const thread = threadResponse.parse(started.body);
    expect(thread.status).toBe("awaiting_review");
    const pending = thread.reviews.find((r) => r.status === "pending")!;
    const review = await h.call("GET", `/reviews/${pending.review_id}`, undefined, as("admin"));
    return reviewResponse.parse(review.body);
  };
  const approve = (id: string, who: Who = "health") =>
    h.call("POST", `/documents/${id}/approve`, {}, as(who));

  // After useHarness's beforeAll (hooks run in the order they are declared).
  beforeAll(async () => {
    keys = await makeKeys(h);
  });

  it("keeps a pending high-risk document out of retrieval until a reviewer approves it", async () => {
    const doc = await post(HEALTH_V1);
    expect(doc).toMatchObject({ status: "pending", version: 1, created: true, replaces: null });
    expect(await ids()).not.toContain(doc.document_id);
    const before = await askForCard();
    expect(JSON.stringify(before.card)).not.toContain("zorbexamine for adults is 40 mg");

    // The same text again is the same submission, not a second one.
    const again = await post(HEALTH_V1);
    expect(again).toMatchObject({ document_id: doc.document_id, created: false });

    const approved = await approve(doc.document_id);
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(documentDecisionResponse.parse(approved.body).document).toMatchObject({
      status: "live",
      decided_by: "dr-house",
    });
    expect((await ids())[0]).toBe(doc.document_id);

    // Through the graph: the evidence has it now, and the answer records the version it used.
    const after = await askForCard();
    expect(JSON.stringify(after.card)).toContain("zorbexamine for adults is 40 mg");
    const decided = await h.call(
      "POST",
      `/reviews/${after.review_id}/decision?wait=20`,
      { type: "approve" },
      as("health"),
    );
    expect(decided.status, JSON.stringify(decided.body)).toBe(200);
    const thread = threadResponse.parse(decided.body.thread);
    expect(thread.provenance).toBe("approved");
    expect(thread.citations).toContainEqual(
      expect.objectContaining({ document_id: doc.document_id, document_version: 1 }),
    );
    // … and so does the eval export's example of it.
    const exported = await h.app.request("/datasets/export", { headers: as("admin") });
    expect(exported.status).toBe(200);
    const examples = (await exported.text())
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { metadata: { citations: unknown[] } });
    expect(examples.flatMap((e) => e.metadata.citations)).toContainEqual(
      expect.objectContaining({ document_id: doc.document_id, document_version: 1 }),
    );
  });

  it("keeps the live version live while a new one waits, shows the diff and the answers it affects, and swaps on approval", async () => {
    const v1 = (await retrieved())[0]!;
    const v2 = await post(HEALTH_V2);
    expect(v2).toMatchObject({ status: "pending", version: 2, replaces: v1.document_id });
    expect(await ids()).toContain(v1.document_id);
    expect(await ids()).not.toContain(v2.document_id);

    const view = await h.call("GET", `/documents/${v2.document_id}`, undefined, as("health"));
    expect(view.status).toBe(200);
    const curation = curationResponse.parse(view.body);
    expect(curation.diff.filter((d) => d.op !== "equal")).toEqual([
      { op: "delete", text: "40" },
      { op: "insert", text: "30" },
    ]);
    expect(curation.replaces?.document_id).toBe(v1.document_id);
    // The thread answered from version 1 in the test above.
    expect(curation.affected.total).toBe(1);
    expect(curation.affected.items[0]!.question).toBe(QUESTION);
    expect(curation.affected.days).toBe(30);

    const done = await approve(v2.document_id);
    expect(done.status).toBe(200);
    expect(done.body.superseded).toBe(v1.document_id);
    const now = await retrieved();
    expect(now.map((p) => p.document_id)).toContain(v2.document_id);
    expect(now.map((p) => p.document_id)).not.toContain(v1.document_id);
    const old = await h.call("GET", `/documents/${v1.document_id}`, undefined, as("health"));
    expect(old.body.document.status).toBe("superseded");
    expect(old.body.document.decided_by).toBe("dr-house");
  });

  it("keeps a rejected version out for good, with its reasons", async () => {
    const live = (await retrieved())[0]!.document_id;
    const bad = await post({ ...HEALTH_V1, text: HEALTH_V1.text.replace("40 mg", "400 mg") });
    const rejected = await h.call(
      "POST",
      `/documents/${bad.document_id}/reject`,
      { reasons: ["dose is ten times too high"] },
      as("health"),
    );
    expect(rejected.status).toBe(200);
    expect(rejected.body.document).toMatchObject({
      status: "rejected",
      reasons: ["dose is ten times too high"],
    });
    expect(await ids()).not.toContain(bad.document_id);
    expect((await ids())[0]).toBe(live);
    const late = await approve(bad.document_id);
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe("document_already_decided");
  });

  it("puts documents of a domain that is not curated live at once, versions included", async () => {
    const store = {
      title: "Gift wrapping",
      domain: "store",
      text: "Gift wrapping costs $4 per item at every store.",
    };
    const v1 = await post(store);
    expect(v1.status).toBe("live");
    expect(await ids("How much does gift wrapping cost?")).toContain(v1.document_id);
    const v2 = await post({ ...store, text: "Gift wrapping costs $5 per item at every store." });
    expect(v2).toMatchObject({ status: "live", version: 2, replaces: v1.document_id });
    const found = await ids("How much does gift wrapping cost?");
    expect(found).toContain(v2.document_id);
    expect(found).not.toContain(v1.document_id);
  });

  it("lets a reviewer decide only documents in their domains", async () => {
    const doc = await post({ ...HEALTH_V1, text: `${HEALTH_V2.text} Take it in the morning.` });
    const financeQueue = await h.call("GET", "/documents/pending", undefined, as("finance"));
    expect(financeQueue.status).toBe(200);
    expect(
      financeQueue.body.items.map((d: { document_id: string }) => d.document_id),
    ).not.toContain(doc.document_id);
    const healthQueue = await h.call("GET", "/documents/pending", undefined, as("health"));
    expect(healthQueue.body.items.map((d: { document_id: string }) => d.document_id)).toContain(
      doc.document_id,
    );
    const refused = await approve(doc.document_id, "finance");
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe("outside_your_domains");
    expect((await approve(doc.document_id, "client")).status).toBe(403);
    expect((await h.call("POST", "/documents", HEALTH_V1, as("health"))).status).toBe(403);
    expect(await ids()).not.toContain(doc.document_id);
  });

  it("takes one of two concurrent decisions and answers the other 409", async () => {
    const pending = await h.call("GET", "/documents/pending", undefined, as("health"));
    const id = pending.body.items.at(-1).document_id as string;
    const [a, b] = await Promise.all([
      approve(id),
      h.call("POST", `/documents/${id}/reject`, { reasons: ["no"] }, as("admin")),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const after = await h.call("GET", `/documents/${id}`, undefined, as("health"));
    expect(after.body.document.status).toBe(a.status === 200 ? "live" : "rejected");
  });

  it("supersedes a waiting version when a newer one comes, and approves with an edit", async () => {
    const first = await post({ ...HEALTH_V1, text: `${HEALTH_V1.text} Draft one.` });
    const second = await post({ ...HEALTH_V1, text: `${HEALTH_V1.text} Draft two.` });
    const stale = await approve(first.document_id);
    expect(stale.status).toBe(409);
    const edited = await h.call(
      "POST",
      `/documents/${second.document_id}/edit`,
      { text: `${HEALTH_V1.text} Reviewed by a clinician.`, comment: "tidied" },
      as("health"),
    );
    expect(edited.status, JSON.stringify(edited.body)).toBe(200);
    const live = documentDecisionResponse.parse(edited.body).document;
    expect(live).toMatchObject({ status: "live", version: second.version + 1 });
    const found = await retrieved();
    expect(found[0]!.document_id).toBe(live.document_id);
    expect(found[0]!.text).toContain("Reviewed by a clinician.");
    const original = await h.call(
      "GET",
      `/documents/${second.document_id}`,
      undefined,
      as("admin"),
    );
    expect(original.body.document.status).toBe("superseded");
    expect(original.body.events.map((e: { type: string }) => e.type)).toEqual([
      "submitted",
      "edited",
    ]);
  });

  it("writes every step to the audit trail and the webhook outbox", async () => {
    const { rows: events } = await h.db.pool.query<{ type: string; actor: string }>(
      `SELECT e.type, e.actor FROM document_events e JOIN documents d USING (document_id)
       WHERE d.document_key = $1 AND d.version = 1 ORDER BY e.event_id`,
      [HEALTH_V1.source],
    );
    expect(events).toEqual([
      { type: "submitted", actor: "root" },
      { type: "approved", actor: "dr-house" },
      { type: "superseded", actor: "dr-house" },
    ]);
    const { rows: outbox } = await h.db.pool.query<{ event_type: string; payload: any }>(
      "SELECT event_type, payload FROM outbox WHERE event_type LIKE 'document.%' ORDER BY event_id",
    );
    const types = outbox.map((r) => r.event_type);
    expect(types.filter((t) => t === "document.pending").length).toBeGreaterThanOrEqual(5);
    expect(types).toContain("document.approved");
    expect(types).toContain("document.rejected");
    expect(outbox[0]!.payload).toMatchObject({
      document_key: HEALTH_V1.source,
      version: 1,
      domain: "health",
      submitted_by: "root",
    });
  });
});

describe("the policy's curated flag", () => {
  it("curates the high-risk domains by default", () => {
    expect([...curatedDomains(defaultPolicy)].sort()).toEqual(["finance", "health", "legal"]);
  });

  it("follows the policy file's flag per domain", async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), "policy-")), "policy.json");
    const rules = [
      { id: "health", description: "clinical", tier: "high", curated: false },
      { id: "Store", description: "shop", tier: "low", curated: true },
      { id: "finance", description: "money", tier: "high" },
    ];
    await writeFile(file, JSON.stringify({ rules, refusal: "no" }));
    expect([...curatedDomains(await loadPolicy(file))].sort()).toEqual(["finance", "store"]);
  });
});

describe.each(testDatabases)("migration 0014 on an existing knowledge base ($name)", (kind) => {
  it("numbers existing documents as versions of their key; only the newest stays live", async () => {
    const db = await kind.open();
    try {
      const migrations = await loadMigrations();
      const curation = migrations.findIndex((m) => m.name.startsWith("0014_"));
      for (const m of migrations.slice(0, curation)) await db.pool.query(m.sql);
      const add = async (title: string, source: string | null, text: string, at: string) => {
        const { rows } = await db.pool.query<{ document_id: string }>(
          `INSERT INTO documents (title, source, content_hash, created_at) VALUES ($1, $2, $3, $4)
           RETURNING document_id`,
          [title, source, `${title}:${text}`, at],
        );
        await db.pool.query(
          "INSERT INTO chunks (document_id, ordinal, title, text) VALUES ($1, 0, $2, $3)",
          [rows[0]!.document_id, title, text],
        );
        return rows[0]!.document_id;
      };
      const older = await add("FAQ", null, "old answers", "2026-01-01T00:00:00Z");
      const newer = await add("FAQ", null, "new answers", "2026-02-01T00:00:00Z");
      const other = await add("FAQ", "shop/faq.md", "the shop's", "2026-01-15T00:00:00Z");
      await db.pool.query(migrations[curation]!.sql);
      const { rows } = await db.pool.query<{
        document_id: string;
        document_key: string;
        version: number;
        status: string;
        live: boolean;
      }>(
        `SELECT d.document_id, d.document_key, d.version, d.status, c.live
         FROM documents d JOIN chunks c USING (document_id)`,
      );
      const byId = new Map(rows.map((r) => [r.document_id, r]));
      expect(byId.get(older)).toMatchObject({
        document_key: "FAQ",
        version: 1,
        status: "superseded",
        live: false,
      });
      expect(byId.get(newer)).toMatchObject({
        document_key: "FAQ",
        version: 2,
        status: "live",
        live: true,
      });
      expect(byId.get(other)).toMatchObject({
        document_key: "shop/faq.md",
        version: 1,
        status: "live",
        live: true,
      });
    } finally {
      await db.close();
    }
  });
});
