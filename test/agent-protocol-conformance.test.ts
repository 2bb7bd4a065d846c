/**
 * One Agent Protocol suite (support/agent-protocol-suite.ts), two servers: the LangGraph CLI dev
 * server on the same graph (the reference) and signoff's `/langgraph`, both through the official
 * SDK. Each scenario must pass on both, and say the same thing on both: the same events and
 * shapes, ids and times aside, except for the differences listed in DOCUMENTED_DIFFERENCES (and
 * in the README).
 */
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { Client } from "@langchain/langgraph-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  normalized,
  scenarios,
  type ProtocolTarget,
  type Transcript,
} from "./support/agent-protocol-suite.js";
import { testDatabases } from "./support/databases.js";
import { DEV_SERVER_STARTUP_MS, startDevServer, type DevServer } from "./support/dev-server.js";
import { createKeys, useHarness } from "./support/harness.js";
import { listen } from "./support/http.js";

/** Slow enough that a run is still going when a test cancels it or drops its stream. */
const MODEL_LATENCY = { OFFLINE_MODEL_LATENCY_MS: "300" };
/** The dev server checkpoints every step; so does signoff with this (its default is `exit`). */
const LIKE_THE_DEV_SERVER = { ...MODEL_LATENCY, CHECKPOINT_DURABILITY: "async" };

/**
 * The run's configuration that the dev server copies into every checkpoint's metadata and every
 * event's metadata (its saver merges it in). signoff keeps it on the run and thread rows and
 * stores checkpoints with LangGraph's own keys only; its traces carry run, thread and review ids.
 */
const RUN_CONFIG_KEYS = new Set([
  "user-agent",
  "created_by",
  "graph_id",
  "assistant_id",
  "run_attempt",
  "run_id",
  "review_id",
  "langgraph_version",
  "langgraph_plan",
  "langgraph_host",
  "langgraph_api_url",
  "ls_integration",
  // The thread's metadata, which the dev server merges into the run's.
  "tag",
  "scenario",
]);

/** Checkpoint metadata (`source`, `step`) and event metadata (`langgraph_node`) without them. */
function withoutRunConfig(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutRunConfig);
  if (typeof value !== "object" || value === null) return value;
  const isMetadata = ("source" in value && "step" in value) || "langgraph_node" in value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !(isMetadata && RUN_CONFIG_KEYS.has(key)))
      .map(([key, v]) => [key, withoutRunConfig(v)]),
  );
}

const without = (keys: unknown, extra: string[]) =>
  (keys as string[]).filter((k) => !extra.includes(k));

/**
 * Where signoff says something else than the reference, on purpose (the README lists them):
 * each entry takes the difference out of both transcripts.
 */
const DOCUMENTED_DIFFERENCES: Record<string, (t: Transcript) => Transcript> = {
  // The dev server's static schema extraction finds no input or state schema in this graph;
  // signoff serves both (and the context schema, which both serve).
  "describes the graph as an assistant": ({ input: _i, state: _s, ...rest }) => rest,
  // signoff's threads carry `state_updated_at` and `error` (fields of the SDK's Thread type).
  "streams a run to an interrupt, then shows the thread interrupted": (t) => {
    const thread = t.thread as Record<string, unknown>;
    return {
      ...t,
      thread: { ...thread, keys: without(thread.keys, ["error", "state_updated_at"]) },
    };
  },
  "gives the state and the history of a paused thread": (t) => withoutRunConfig(t) as Transcript,
  "keeps a chat conversation in messages": (t) => withoutRunConfig(t) as Transcript,
  // signoff's runs add `attempts` and `error`, and `cancel_reason` (of the SDK's Run type).
  "cancels a run before it answers": (t) => {
    const run = t.run as Record<string, unknown>;
    return {
      ...t,
      run: { ...run, keys: without(run.keys, ["attempts", "error", "cancel_reason"]) },
    };
  },
};

const reference = new Map<string, Transcript>();

describe("the Agent Protocol suite on the CLI dev server (reference)", () => {
  let server: DevServer | undefined;
  let target: ProtocolTarget;

  beforeAll(async () => {
    server = await startDevServer(MODEL_LATENCY);
    const client = new Client({ apiUrl: server.url });
    target = { asker: client, reviewer: client, tag: randomUUID() };
  }, DEV_SERVER_STARTUP_MS + 10_000);
  afterAll(() => server?.stop(), 15_000);

  for (const scenario of scenarios) {
    it(
      scenario.name,
      async () => {
        reference.set(scenario.name, await scenario.play(target));
      },
      30_000,
    );
  }
});

describe.each(testDatabases)("the Agent Protocol suite on signoff ($name)", (kind) => {
  const h = useHarness(kind, { env: LIKE_THE_DEV_SERVER });
  let server: Awaited<ReturnType<typeof listen>> | undefined;
  let target: ProtocolTarget;
  const played = new Map<string, Transcript>();

  beforeAll(async () => {
    server = await listen(h);
    const keys = await createKeys(h, { admin: "admin", client: "client", reviewer: "reviewer" });
    const sdk = (headers: Record<string, string>) =>
      new Client({
        apiUrl: `${server!.url}/langgraph`,
        apiKey: headers.authorization!.replace(/^Bearer /, ""),
      });
    // The asker holds an admin key: a client key sees only what a human signed off (tested in
    // agent-protocol.test.ts), where the reference, which has no keys, shows everything.
    target = { asker: sdk(keys.admin), reviewer: sdk(keys.reviewer), tag: randomUUID() };
  });
  afterAll(() => server?.close());

  for (const scenario of scenarios) {
    it(
      scenario.name,
      async () => {
        played.set(scenario.name, await scenario.play(target));
      },
      30_000,
    );
  }

  describe("says the same as the reference", () => {
    for (const scenario of scenarios) {
      it(scenario.name, () => {
        const ours = played.get(scenario.name);
        const theirs = reference.get(scenario.name);
        expect(ours, "the scenario ran on signoff").toBeDefined();
        expect(theirs, "the scenario ran on the reference").toBeDefined();
        const same = DOCUMENTED_DIFFERENCES[scenario.name] ?? ((t: Transcript) => t);
        if (process.env.CONFORMANCE_DUMP) {
          const file = (who: string) =>
            `${process.env.CONFORMANCE_DUMP}/${scenario.name.replace(/\W+/g, "-")}.${who}.json`;
          writeFileSync(file("signoff"), JSON.stringify(normalized(same(ours!)), null, 2));
          writeFileSync(file("reference"), JSON.stringify(normalized(same(theirs!)), null, 2));
        }
        expect(normalized(same(ours!))).toEqual(normalized(same(theirs!)));
      });
    }
  });
});
