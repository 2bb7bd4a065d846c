import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { testDatabases } from "./support/databases.js";
import { useHarness, type Harness } from "./support/harness.js";
import { ask, decide, pendingReview, QUESTIONS } from "./support/flow.js";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Exposition {
  /** Family name → declared type. */
  types: Map<string, string>;
  samples: Sample[];
  /** `name{k="v",…}` (labels as written) → value, for exact lookups. */
  byLine: Map<string, number>;
}

const SAMPLE_LINE =
  /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_]\w*="(?:[^"\\]|\\.)*"(?:,[a-zA-Z_]\w*="(?:[^"\\]|\\.)*")*)?\})? ([-+]?(?:\d+(?:\.\d*)?(?:e[-+]?\d+)?|\.\d+|Inf|NaN))$/i;

/** Suffixes a sample may add to its family's name, by family type. */
const SUFFIXES: Record<string, string[]> = {
  counter: [""],
  gauge: [""],
  untyped: [""],
  histogram: ["_bucket", "_sum", "_count"],
  summary: ["", "_sum", "_count"],
};

/**
 * Parses the Prometheus text format strictly: every family has one HELP and one TYPE before its
 * samples, and every sample belongs to a declared family (histograms by their _bucket/_sum/_count).
 */
function parse(text: string): Exposition {
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: Sample[] = [];
  const byLine = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (line.startsWith("#")) {
      expect(meta, `malformed comment line: ${line}`).not.toBeNull();
      const [, kind, name, rest] = meta!;
      if (kind === "HELP") {
        expect(helps.has(name!), `second HELP for ${name}`).toBe(false);
        helps.add(name!);
      } else {
        expect(types.has(name!), `second TYPE for ${name}`).toBe(false);
        expect(Object.keys(SUFFIXES)).toContain(rest);
        types.set(name!, rest!);
      }
      continue;
    }
    const match = SAMPLE_LINE.exec(line);
    expect(match, `malformed sample line: ${line}`).not.toBeNull();
    const [, name, body, raw] = match!;
    const family = [...types].find(([f, type]) =>
      SUFFIXES[type]!.some((suffix) => `${f}${suffix}` === name),
    );
    expect(family, `sample of an undeclared family: ${line}`).toBeDefined();
    expect(helps.has(family![0]), `no HELP for ${family![0]}`).toBe(true);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (body ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
    const value = Number(raw!.replace(/^\+?inf$/i, "Infinity").replace(/^-inf$/i, "-Infinity"));
    samples.push({ name: name!, labels, value });
    byLine.set(`${name}${body ?? ""}`, value);
  }
  return { types, samples, byLine };
}

/** The samples of `name` whose labels include all of `labels`. */
function find(m: Exposition, name: string, labels: Record<string, string> = {}): Sample[] {
  return m.samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
}

/** GET /metrics through the harness's app, checked and parsed. */
async function scrape(h: Harness, headers: Record<string, string> = {}): Promise<Exposition> {
  const res = await h.app.request("/metrics", { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  return parse(await res.text());
}

describe.each(testDatabases)("GET /metrics ($name)", (kind) => {
  // Open mode, and the threads the first test makes are the only ones in this database.
  const h = useHarness(kind);

  it("reports queue depth, latencies, decisions, escalations and the auto-answer rate", async () => {
    await ask(h, QUESTIONS.answerable);
    await ask(h, QUESTIONS.unanswerable);
    const review = await pendingReview(h, await ask(h, QUESTIONS.highRisk));
    await h.call("POST", `/reviews/${review.review_id}/claim`);
    await decide(h, review.review_id, { type: "approve" });

    const m = (await scrape(h)).byLine;
    expect(
      m.get('signoff_review_queue_depth{stage="retrieval",risk_tier="low",queue="main"}'),
    ).toBe(1);
    expect(m.get('signoff_review_decisions_total{stage="answer",type="approve",by="human"}')).toBe(
      1,
    );
    expect(m.get('signoff_review_time_to_decision_seconds_count{stage="answer"}')).toBe(1);
    expect(m.get('signoff_review_time_to_decision_seconds_bucket{stage="answer",le="+Inf"}')).toBe(
      1,
    );
    expect(m.get('signoff_review_time_to_claim_seconds_bucket{stage="answer",le="60"}')).toBe(1);
    expect(m.get('signoff_threads{status="completed",provenance="auto"}')).toBe(1);
    expect(m.get("signoff_auto_answer_ratio")).toBe(0.5);
    expect(m.get('signoff_runs{status="queued"}')).toBe(0);
    expect(m.get('signoff_runs{status="running"}')).toBe(0);
  });

  it("names families by Prometheus conventions and says the database ones are shared", async () => {
    const res = await h.app.request("/metrics");
    const text = await res.text();
    const { types } = parse(text);
    // The old name contradicted its own label (pending … status="running").
    expect(types.has("signoff_runs_pending")).toBe(false);
    expect(types.get("signoff_runs")).toBe("gauge");
    // Ours only: prom-client's standard names include gauges like nodejs_active_handles_total,
    // and dashboards expect them as they are.
    for (const [name, type] of [...types].filter(([n]) => n.startsWith("signoff_"))) {
      if (type === "counter") expect(name, `counter ${name}`).toMatch(/_total$/);
      else expect(name, `${type} ${name}`).not.toMatch(/_total$/);
    }
    const databaseFamilies = [
      "signoff_review_queue_depth",
      "signoff_review_time_to_claim_seconds",
      "signoff_review_time_to_decision_seconds",
      "signoff_review_escalations_total",
      "signoff_review_decisions_total",
      "signoff_threads",
      "signoff_auto_answer_ratio",
      "signoff_runs",
      "signoff_webhook_events",
    ];
    for (const name of databaseFamilies) {
      expect(text).toMatch(
        new RegExp(`^# HELP ${name} .*every replica reports the same value\\.$`, "m"),
      );
    }
    // Per-process families must not claim to be shared.
    expect(text).not.toMatch(/^# HELP (process|nodejs|signoff_http)_\S+ .*every replica/m);
  });

  it("keeps the HTTP histogram per app: another app in this process counts its own requests", async () => {
    const { createAppFor } = await import("../src/api/app.js");
    const other = createAppFor(h.runtime);
    const res = await other.request("/metrics");
    const m = parse(await res.text());
    // Its own scrape is still in flight when it renders, so it has observed nothing yet.
    expect(find(m, "signoff_http_request_duration_seconds_count")).toEqual([]);
    expect(find(m, "process_cpu_seconds_total")).toHaveLength(1);
  });
});

describe.each(testDatabases)("GET /metrics, request durations ($name)", (kind) => {
  // Its own database: the threads it makes would change the gauges the first block checks.
  const h = useHarness(kind);

  it("exposes process metrics and request durations by route pattern, never by raw path", async () => {
    // The POST /threads counted below, made here: an app's histogram counts only its own requests.
    await ask(h, QUESTIONS.answerable);
    await ask(h, QUESTIONS.unanswerable);
    await ask(h, QUESTIONS.highRisk);
    const id = randomUUID();
    expect((await h.call("GET", `/threads/${id}`)).status).toBe(404);
    expect((await h.call("GET", `/threads/${id}`)).status).toBe(404);
    expect((await h.call("GET", "/healthz")).status).toBe(200);
    expect((await h.call("GET", `/no/such/${id}`)).status).toBe(404);

    const m = await scrape(h);
    expect(m.types.get("process_cpu_seconds_total")).toBe("counter");
    expect(find(m, "process_cpu_seconds_total")).toHaveLength(1);
    expect(find(m, "nodejs_heap_size_used_bytes")[0]!.value).toBeGreaterThan(0);
    expect(m.types.get("signoff_http_request_duration_seconds")).toBe("histogram");

    const h404 = { method: "GET", route: "/threads/:threadId", status: "404" };
    expect(find(m, "signoff_http_request_duration_seconds_count", h404)[0]?.value).toBe(2);
    expect(
      find(m, "signoff_http_request_duration_seconds_bucket", { ...h404, le: "+Inf" })[0]?.value,
    ).toBe(2);
    expect(find(m, "signoff_http_request_duration_seconds_sum", h404)[0]?.value).toBeGreaterThan(0);
    expect(
      find(m, "signoff_http_request_duration_seconds_count", {
        method: "GET",
        route: "/healthz",
        status: "200",
      })[0]?.value,
    ).toBe(1);
    expect(
      find(m, "signoff_http_request_duration_seconds_count", {
        method: "GET",
        route: "unmatched",
        status: "404",
      })[0]?.value,
    ).toBeGreaterThanOrEqual(1);
    // POST /threads from the start of this test, by its pattern too.
    expect(
      find(m, "signoff_http_request_duration_seconds_count", {
        method: "POST",
        route: "/threads",
        status: "202",
      })[0]?.value,
    ).toBe(3);
    const routes = new Set(
      find(m, "signoff_http_request_duration_seconds_count").map((s) => s.labels.route),
    );
    for (const route of routes) expect(route, "a raw id in a route label").not.toContain(id);
  });
});

describe.each(testDatabases)("GET /metrics, the metrics role ($name)", (kind) => {
  // Creating keys ends open mode, so this block has a database of its own.
  const h = useHarness(kind);
  const keys: Record<"admin" | "metrics" | "client" | "reviewer", string> = {
    admin: "",
    metrics: "",
    client: "",
    reviewer: "",
  };
  const as = (who: keyof typeof keys) => ({ authorization: `Bearer ${keys[who]}` });
  let threadId: string;
  let reviewId: string;
  let completedId: string;

  beforeAll(async () => {
    const admin = await h.call("POST", "/keys", { name: "root", role: "admin" });
    expect(admin.status).toBe(201);
    keys.admin = admin.body.key;
    for (const role of ["metrics", "client", "reviewer"] as const) {
      const res = await h.call("POST", "/keys", { name: `a-${role}`, role }, as("admin"));
      // 201 for metrics proves migration 0004 let the role past the CHECK constraint.
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.role).toBe(role);
      keys[role] = res.body.key;
    }
    const thread = await h.call(
      "POST",
      "/threads?wait=20",
      { question: QUESTIONS.highRisk },
      as("client"),
    );
    expect(thread.status).toBe(202);
    threadId = thread.body.thread_id;
    reviewId = thread.body.reviews[0].review_id;
    // Completed, so feedback on it is accepted from any other key.
    const done = await h.call(
      "POST",
      "/threads?wait=20",
      { question: QUESTIONS.answerable },
      as("client"),
    );
    expect(done.body.status).toBe("completed");
    completedId = done.body.thread_id;
  });

  it("reads /metrics; admin still does, client and reviewer keys do not", async () => {
    const m = await scrape(h, as("metrics"));
    expect(m.types.get("signoff_runs")).toBe("gauge");
    expect(find(m, "process_cpu_seconds_total")).toHaveLength(1);
    const head = await h.app.request("/metrics", { method: "HEAD", headers: as("metrics") });
    expect(head.status).toBe(200);
    await scrape(h, as("admin"));
    for (const who of ["client", "reviewer"] as const) {
      expect((await h.call("GET", "/metrics", undefined, as(who))).status, who).toBe(403);
    }
  });

  it("is refused (403) on every other route, including those any key may call", async () => {
    const unknown = randomUUID();
    const requests: [method: string, path: string, body?: unknown][] = [
      ["POST", "/metrics"],
      ["GET", "/metrics/"],
      ["POST", "/threads", { question: QUESTIONS.answerable }],
      // These two accept any key (a client is limited to its own threads, others see all).
      ["GET", `/threads/${threadId}`],
      ["GET", `/threads/${completedId}`],
      ["POST", `/threads/${completedId}/feedback`, { rating: 5 }],
      ["GET", `/threads/${unknown}`],
      ["GET", "/reviews"],
      ["GET", `/reviews/${reviewId}`],
      ["GET", `/reviews/${reviewId}/events`],
      ["POST", `/reviews/${reviewId}/claim`],
      ["POST", `/reviews/${reviewId}/decision`, { type: "approve" }],
      ["POST", "/documents", { title: "t", text: "some text" }],
      ["GET", "/keys"],
      ["POST", "/keys", { name: "escalated", role: "admin" }],
      ["DELETE", `/keys/${unknown}`],
      ["GET", "/datasets/export"],
      ["GET", "/ui"],
      ["GET", `/ui/reviews/${reviewId}`],
      ["GET", "/ui/next"],
    ];
    // One list, so a failure shows every route that let the key through, not just the first.
    const outcome = (path: string, status: number, code?: string) =>
      path.startsWith("/ui") ? `${path} → ${status}` : `${path} → ${status} ${code}`;
    const seen = [];
    for (const [method, path, body] of requests) {
      const res = await h.call(method, path, body, as("metrics"));
      seen.push(`${method} ${outcome(path, res.status, res.body.error?.code)}`);
    }
    expect(seen).toEqual(
      requests.map(([method, path]) => `${method} ${outcome(path, 403, "forbidden")}`),
    );

    // The review page's sign-in refuses the key too, and sets no cookie.
    const login = await h.app.request("/ui/login", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ key: keys.metrics, next: "/ui" }),
    });
    expect(login.status).toBe(403);
    expect(login.headers.get("set-cookie")).toBeNull();

    // Nothing was written on its behalf.
    const keysNow = await h.call("GET", "/keys", undefined, as("admin"));
    expect(keysNow.body.items.map((k: { name: string }) => k.name)).not.toContain("escalated");
    const review = await h.call("GET", `/reviews/${reviewId}`, undefined, as("reviewer"));
    expect(review.body.status).toBe("pending");
    expect(review.body.claimed_by).toBeNull();
    const feedback = await h.db.pool.query(
      "SELECT count(*)::int AS n FROM feedback WHERE thread_id = $1",
      [completedId],
    );
    expect(feedback.rows[0].n).toBe(0);
  });
});
