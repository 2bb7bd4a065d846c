/**
 * The Agent Protocol scenarios both servers must play alike, written once against the official
 * @langchain/langgraph-sdk Client: the LangGraph CLI dev server (`npm run studio`, the
 * reference) and signoff's `/langgraph`. Each scenario asserts what a client relies on and
 * returns a transcript (events and shapes, ids and times normalized) that the conformance test
 * compares between the two servers.
 */
import type { Client } from "@langchain/langgraph-sdk";
import { expect } from "vitest";
import { QUESTIONS } from "./flow.js";

export interface ProtocolTarget {
  /** Creates threads and asks questions (signoff: a `client` key). */
  asker: Client;
  /** Resumes interrupts (signoff: a `reviewer` key; the dev server has no keys). */
  reviewer: Client;
  /** Tags the threads a run of the suite creates, so searches see only those. */
  tag: string;
}

export type Transcript = Record<string, unknown>;

export interface Scenario {
  name: string;
  play(target: ProtocolTarget): Promise<Transcript>;
}

const GRAPH = "signoff";

type StreamEvent = { id?: string; event: string; data: unknown };

interface PendingInterrupt {
  id: string;
  value: {
    action_request: { action: string; args: Record<string, unknown> };
    card: { stage: string };
  };
}

async function collect(stream: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  for await (const chunk of stream) events.push(chunk);
  return events;
}

/** What a stream says, in order: each event's name and data (normalized when compared). */
function said(events: StreamEvent[]) {
  return events.map(({ event, data }) => [event, data]);
}

function expectEveryEventHasAnId(events: StreamEvent[]) {
  for (const e of events)
    expect(e.id, `${e.event} event without an id`).toEqual(expect.any(String));
}

async function pausedThread(t: ProtocolTarget, scenario: string, question = QUESTIONS.highRisk) {
  const thread = await t.asker.threads.create({ metadata: { tag: t.tag, scenario } });
  const events = await collect(
    t.asker.runs.stream(thread.thread_id, GRAPH, {
      input: { question },
      streamMode: ["values", "updates"],
    }),
  );
  const state = await t.reviewer.threads.getState(thread.thread_id);
  const [interrupt] = state.tasks.flatMap((task) => task.interrupts) as PendingInterrupt[];
  expect(interrupt, "the run paused for review").toBeDefined();
  return { threadId: thread.thread_id, events, interrupt: interrupt! };
}

/** The state a resume left: where it ended and what the user got. */
async function outcome(t: ProtocolTarget, threadId: string) {
  const thread = await t.asker.threads.get<Record<string, unknown>>(threadId);
  const { values } = thread;
  return {
    status: thread.status,
    interrupts: thread.interrupts,
    answer: values.answer,
    provenance: values.provenance,
    decisions: values.decisions,
    messages: values.messages,
  };
}

/** Resumes the thread's one interrupt with an Agent Inbox HumanResponse, streaming values. */
async function resumeWith(t: ProtocolTarget, scenario: string, response: unknown) {
  const paused = await pausedThread(t, scenario);
  const events = await collect(
    t.reviewer.runs.stream(paused.threadId, GRAPH, {
      command: { resume: [response] },
      streamMode: ["values"],
    }),
  );
  expectEveryEventHasAnId(events);
  expect(events.at(-1)?.event).toBe("values");
  return { paused, events, outcome: await outcome(t, paused.threadId) };
}

export const scenarios: Scenario[] = [
  {
    name: "describes the graph as an assistant",
    async play(t) {
      const [assistant] = await t.asker.assistants.search({ graphId: GRAPH });
      expect(assistant?.graph_id).toBe(GRAPH);
      const graph = await t.asker.assistants.getGraph(assistant!.assistant_id);
      const schemas = await t.asker.assistants.getSchemas(assistant!.assistant_id);
      const subgraphs = await t.asker.assistants.getSubgraphs(assistant!.assistant_id);
      const versions = await t.asker.assistants.getVersions(assistant!.assistant_id);
      const count = await t.asker.assistants.count({ graphId: GRAPH });
      expect(count).toBe(1);
      expect(await t.asker.assistants.count({ graphId: "no-such-graph" })).toBe(0);
      expect(await t.asker.assistants.get(GRAPH)).toMatchObject({ graph_id: GRAPH });
      const properties = (s: unknown) =>
        Object.keys((s as { properties?: object } | undefined)?.properties ?? {}).sort();
      return {
        assistant_id: assistant!.assistant_id,
        graph_id: assistant!.graph_id,
        name: assistant!.name,
        nodes: graph.nodes.map((n) => n.id).sort(),
        edges: graph.edges.map((e) => `${e.source}->${e.target}`).sort(),
        input: properties(schemas.input_schema),
        state: properties(schemas.state_schema),
        context: properties(schemas.context_schema),
        subgraphs,
        versions: versions.map((v) => ({ graph_id: v.graph_id, version: v.version })),
      };
    },
  },
  {
    name: "streams a run to an interrupt, then shows the thread interrupted",
    async play(t) {
      const { threadId, events, interrupt } = await pausedThread(t, "stream");
      expectEveryEventHasAnId(events);
      expect(events[0]?.event).toBe("metadata");
      const lastValues = events.filter((e) => e.event === "values").at(-1);
      expect(Object.keys(lastValues?.data as object)).toContain("__interrupt__");
      expect(interrupt.value.card.stage).toBe("answer");
      expect(Object.keys(interrupt.value.action_request.args)).toEqual(["answer"]);

      const thread = await t.reviewer.threads.get(threadId);
      expect(thread.status).toBe("interrupted");
      const found = await t.reviewer.threads.search({
        status: "interrupted",
        metadata: { tag: t.tag, scenario: "stream" },
      });
      expect(found.map((f) => f.thread_id)).toEqual([threadId]);
      return {
        events: said(events),
        thread: {
          keys: Object.keys(thread).sort(),
          status: thread.status,
          metadata: thread.metadata,
          values: thread.values,
          interrupts: thread.interrupts,
        },
        search: found.map((f) => ({ status: f.status, interrupts: f.interrupts })),
      };
    },
  },
  {
    name: "gives the state and the history of a paused thread",
    async play(t) {
      const { threadId } = await pausedThread(t, "state");
      const state = await t.reviewer.threads.getState(threadId);
      expect(state.next).toEqual(["review_answer"]);
      const history = await t.reviewer.threads.getHistory(threadId, { limit: 50 });
      expect(history[0]?.checkpoint.checkpoint_id).toBe(state.checkpoint.checkpoint_id);
      // Newest first, each pointing at the one before it.
      for (const [i, h] of history.slice(0, -1).entries()) {
        expect(h.parent_checkpoint?.checkpoint_id).toBe(history[i + 1]?.checkpoint.checkpoint_id);
      }
      const limited = await t.reviewer.threads.getHistory(threadId, { limit: 2 });
      expect(limited).toHaveLength(2);
      return {
        state: {
          keys: Object.keys(state).sort(),
          next: state.next,
          tasks: state.tasks.map((task) => ({
            name: task.name,
            interrupts: task.interrupts,
            error: task.error,
          })),
          metadata: state.metadata,
          values: state.values,
        },
        history: history.map((h) => ({
          next: h.next,
          source: h.metadata?.source,
          step: h.metadata?.step,
          tasks: h.tasks.map((task) => task.name),
        })),
      };
    },
  },
  {
    name: "resumes with accept",
    async play(t) {
      const r = await resumeWith(t, "accept", { type: "accept", args: null });
      expect(r.outcome).toMatchObject({ status: "idle", provenance: "approved" });
      return { events: said(r.events), outcome: r.outcome };
    },
  },
  {
    name: "resumes with edit, as Agent Inbox's form sends it",
    async play(t) {
      const edited = "Adults should not take more than 4,000 mg of paracetamol in 24 hours.";
      const r = await resumeWith(t, "edit", {
        type: "edit",
        args: { action: "review_answer", args: { answer: edited } },
      });
      expect(r.outcome).toMatchObject({ status: "idle", provenance: "edited", answer: edited });
      return { events: said(r.events), outcome: r.outcome };
    },
  },
  {
    name: "resumes with response",
    async play(t) {
      const own = "Ask your pharmacist: the maximum depends on your weight and health.";
      const r = await resumeWith(t, "response", { type: "response", args: own });
      expect(r.outcome).toMatchObject({ status: "idle", provenance: "human", answer: own });
      return { events: said(r.events), outcome: r.outcome };
    },
  },
  {
    name: "resumes with ignore",
    async play(t) {
      const r = await resumeWith(t, "ignore", { type: "ignore", args: null });
      expect(r.outcome).toMatchObject({ status: "idle", provenance: "fallback" });
      return { events: said(r.events), outcome: r.outcome };
    },
  },
  {
    name: "streams a resume as events, as Agent Inbox does",
    async play(t) {
      const paused = await pausedThread(t, "events");
      const events = await collect(
        t.reviewer.runs.stream(paused.threadId, GRAPH, {
          command: { resume: [{ type: "accept", args: null }] },
          streamMode: "events",
        }),
      );
      expectEveryEventHasAnId(events);
      type Callback = { event: string; name: string; metadata?: { langgraph_node?: string } };
      const callbacks = events.filter((e) => e.event === "events").map((e) => e.data as Callback);
      // Agent Inbox shows "Node: <name>" from these.
      const nodes = new Set(callbacks.map((c) => c.metadata?.langgraph_node).filter(Boolean));
      expect([...nodes]).toEqual(expect.arrayContaining(["review_answer", "respond"]));
      return {
        events: events.map((e) => e.event),
        callbacks: callbacks.map((c) => [c.event, c.name, c.metadata?.langgraph_node ?? null]),
        outcome: await outcome(t, paused.threadId),
      };
    },
  },
  {
    name: "rejoins a stream after the client disconnected",
    async play(t) {
      const thread = await t.asker.threads.create({ metadata: { tag: t.tag, scenario: "join" } });
      const controller = new AbortController();
      const first: StreamEvent[] = [];
      let runId = "";
      try {
        for await (const chunk of t.asker.runs.stream(thread.thread_id, GRAPH, {
          input: { question: QUESTIONS.answerable },
          streamMode: ["values"],
          streamResumable: true,
          onDisconnect: "continue",
          signal: controller.signal,
          onRunCreated: (meta) => {
            runId = meta.run_id;
          },
        })) {
          first.push(chunk);
          if (first.length === 2) controller.abort(); // the client goes away mid-run
        }
      } catch (error) {
        if (!controller.signal.aborted) throw error;
      }
      expect(runId).not.toBe("");
      const rest = await collect(
        t.asker.runs.joinStream(thread.thread_id, runId, { lastEventId: first.at(-1)?.id }),
      );
      expectEveryEventHasAnId([...first, ...rest]);
      const lastValues = rest.filter((e) => e.event === "values").at(-1);
      expect(lastValues?.data).toMatchObject({ provenance: "auto" });
      await t.asker.runs.join(thread.thread_id, runId);
      const run = await t.asker.runs.get(thread.thread_id, runId);
      expect(run.status).toBe("success");
      return { first: said(first), rest: said(rest), run: { status: run.status } };
    },
  },
  {
    name: "cancels a run before it answers",
    async play(t) {
      const thread = await t.asker.threads.create({ metadata: { tag: t.tag, scenario: "cancel" } });
      const run = await t.asker.runs.create(thread.thread_id, GRAPH, {
        input: { question: QUESTIONS.answerable },
      });
      await t.asker.runs.cancel(thread.thread_id, run.run_id, true);
      const cancelled = await t.asker.runs.get(thread.thread_id, run.run_id);
      expect(cancelled.status).toBe("interrupted");
      const after = await t.asker.threads.get(thread.thread_id);
      expect(after.status).toBe("idle");
      const runs = await t.asker.runs.list(thread.thread_id);
      return {
        run: { status: cancelled.status, keys: Object.keys(cancelled).sort() },
        thread: { status: after.status },
        runs: runs.map((r) => r.status),
      };
    },
  },
  {
    name: "keeps a chat conversation in messages",
    async play(t) {
      const thread = await t.asker.threads.create({ metadata: { tag: t.tag, scenario: "chat" } });
      const events = await collect(
        t.asker.runs.stream(thread.thread_id, GRAPH, {
          input: { messages: [{ type: "human", content: QUESTIONS.answerable }] },
          streamMode: ["values", "messages-tuple"],
        }),
      );
      expectEveryEventHasAnId(events);
      const done = await outcome(t, thread.thread_id);
      const messages = done.messages as { type: string; content: string }[];
      expect(messages.map((m) => m.type)).toEqual(["human", "ai"]);
      expect(messages[0]?.content).toBe(QUESTIONS.answerable);
      expect(messages[1]?.content).toBe(done.answer);
      return { events: said(events), outcome: done };
    },
  },
  {
    name: "answers a stateless run",
    async play(t) {
      const values = (await t.asker.runs.wait(null, GRAPH, {
        input: { question: QUESTIONS.answerable },
      })) as Record<string, unknown>;
      expect(values.provenance).toBe("auto");
      return { values };
    },
  },
];

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
/** Interrupt ids: a hash of the task's path, so they differ wherever task ids do. */
const HEX_ID = /\b[0-9a-f]{32}\b/g;
const ISO_TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?/g;

/**
 * A transcript with what differs between any two runs replaced: each id by `<id N>` in order of
 * first appearance (so "the same id here as there" still compares), times by `<time>`.
 */
export function normalized(transcript: Transcript): unknown {
  const ids = new Map<string, string>();
  const text = JSON.stringify(transcript)
    .replace(ISO_TIME, "<time>")
    .replace(HEX_ID, "<hash>")
    .replace(UUID, (id) => {
      const key = id.toLowerCase();
      if (!ids.has(key)) ids.set(key, `<id ${ids.size + 1}>`);
      return ids.get(key)!;
    });
  return JSON.parse(text) as unknown;
}
