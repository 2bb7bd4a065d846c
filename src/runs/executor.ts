import { randomUUID } from "node:crypto";
import { Command, INTERRUPT, type Interrupt, type StateSnapshot } from "@langchain/langgraph";
import type { HumanInterrupt } from "@langchain/langgraph/prebuilt";
import type pg from "pg";
import { withTransaction } from "../db/database.js";
import { RunCheckpoints } from "../db/run-checkpoints.js";
import { mergeContext, settingsOf, type GraphContext } from "../graph/configuration.js";
import type { SignoffGraph } from "../graph/graph.js";
import { cardOfInterrupt, triggerOf } from "../graph/review-card.js";
import type { State } from "../graph/state.js";
import { citationsWithVersions } from "../knowledge/provenance.js";
import { completeThread, findThread, setThreadStatus } from "../repositories/threads.js";
import { appendReviewEvent } from "../repositories/review-events.js";
import { findReview, insertReviewOnce } from "../repositories/reviews.js";
import { finishRun, leaseOf, type RunRow } from "../repositories/runs.js";
import { reviewPriority } from "../services/priority.js";
import { approvalsRequired, deadlinesFor, type ReviewPolicy } from "../services/review-policy.js";
import type { EmitEvent } from "../webhooks/emit.js";
import { ASSISTANT_ID, GRAPH_ID } from "../protocol/assistant.js";
import { graphModesFor } from "../protocol/stream-modes.js";
import { RunEventWriter } from "./run-event-writer.js";
import type { RunSignals } from "./thread-events.js";
import type { ActiveThresholds } from "./active-thresholds.js";
import type { ActivePrompts } from "./active-prompts.js";
import type { Thresholds } from "../evals/runner-record.js";

export interface ExecutorDeps {
  pool: pg.Pool;
  /** Told when a streamed run's events are written, so local streams send them at once. */
  signals?: RunSignals;
  graph: SignoffGraph;
  context: GraphContext;
  reviewPolicy: ReviewPolicy;
  /** Records a webhook event inside the caller's transaction (a no-op without webhooks). */
  emit: EmitEvent;
  /**
   * When a run's checkpoints are written (CHECKPOINT_DURABILITY): `exit` (default), once when the
   * run pauses or ends, so a crash mid-run replays the run from its start (nodes have no side
   * effects before `interrupt()`); `async`/`sync`, after every step.
   */
  durability?: "exit" | "async" | "sync";
  /**
   * The active threshold version (migration 0011), read at each run's start; without it (or
   * with no version active) the context's thresholds, from the environment, apply.
   */
  thresholds?: ActiveThresholds;
  /**
   * The active prompt template versions (migration 0016), read at each run's start; without it
   * the providers' built-in templates apply.
   */
  prompts?: ActivePrompts;
}

/**
 * What gated a run: the version (null: the environment's thresholds) and the pair used; and the
 * prompt template versions its generator and judge used (null: the built-in text).
 */
export interface RunGate {
  version_id: string | null;
  thresholds: Thresholds;
  prompt_version_ids: { generator: string | null; judge: string | null };
}

export interface PendingInterrupt {
  id: string;
  value: HumanInterrupt;
}

export function pendingInterrupts(snapshot: StateSnapshot): PendingInterrupt[] {
  return snapshot.tasks.flatMap((task) =>
    (task.interrupts ?? []).map((i) => ({ id: String(i.id), value: i.value as HumanInterrupt })),
  );
}

/** What the run was for; the executor decides from the checkpoint what is left to do. */
export type RunOutcome = "awaiting_review" | "completed";

/**
 * Executes one leased run. It looks at the thread's last checkpoint first, so a run taken over
 * from a dead worker continues where that worker stopped instead of starting again:
 * - never started: invoke with the question;
 * - stopped between nodes: invoke(null) continues from the checkpoint;
 * - waiting on the interrupt this resume answers: resume that interrupt by id.
 * Then it mirrors the checkpoint into the app's tables in one transaction.
 */
export async function executeRun(
  deps: ExecutorDeps,
  run: RunRow,
  signal?: AbortSignal,
): Promise<RunOutcome> {
  // Read once, at the start: the whole run is gated by one version, even if another is approved
  // while it runs.
  const active = await deps.thresholds?.current();
  const prompts = await deps.prompts?.current();
  const deployment = active
    ? mergeContext(deps.context, {
        settings: {
          retrievalThreshold: active.thresholds.retrieval,
          judgeThreshold: active.thresholds.judge,
        },
      })
    : deps.context;
  // The run's own settings (an admin's protocol context) over the deployment's; the approved
  // prompts last, so nothing a client sends can stand in for them.
  const merged = mergeContext(
    deployment,
    (run.context as Partial<GraphContext> | null) ?? undefined,
  );
  const context: GraphContext = prompts ? { ...merged, prompts: prompts.prompts } : merged;
  const effective = settingsOf({ context });
  const gate: RunGate = {
    version_id: active?.version_id ?? null,
    thresholds: { retrieval: effective.retrievalThreshold, judge: effective.judgeThreshold },
    prompt_version_ids: {
      generator: prompts?.versions.generator.version_id ?? null,
      judge: prompts?.versions.judge.version_id ?? null,
    },
  };
  const durability = deps.durability ?? "exit";
  // At `exit` the run's checkpoint is written with its outcome, in one transaction.
  const checkpoints = durability === "exit" ? new RunCheckpoints() : undefined;
  const config = {
    configurable: {
      thread_id: run.thread_id,
      ...(checkpoints && { [RunCheckpoints.KEY]: checkpoints }),
    },
    durability,
    context,
    signal,
    // For LangSmith traces: find a trace from the run, the thread or the review, and back; the
    // graph and attempt as a LangGraph server names them, and the protocol client's metadata.
    metadata: {
      ...run.metadata,
      graph_id: GRAPH_ID,
      assistant_id: ASSISTANT_ID,
      run_id: run.run_id,
      run_attempt: run.attempts,
      thread_id: run.thread_id,
      review_id: run.review_id,
    },
  };
  const writer = run.stream_modes
    ? await RunEventWriter.open(deps.pool, leaseOf(run), () =>
        deps.signals?.runEventsWritten(run.run_id),
      )
    : undefined;
  try {
    return await executeWith(deps, run, config, writer, gate, checkpoints);
  } catch (error) {
    // Whatever was pushed goes in before the worker appends the run's `error` event after it.
    await writer?.flush().catch(() => undefined);
    throw error;
  }
}

async function executeWith(
  deps: ExecutorDeps,
  run: RunRow,
  config: Parameters<SignoffGraph["invoke"]>[1] & { configurable: { thread_id: string } },
  writer: RunEventWriter | undefined,
  gate: RunGate,
  checkpoints: RunCheckpoints | undefined,
): Promise<RunOutcome> {
  writer?.push("metadata", { run_id: run.run_id, attempt: run.attempts });
  // What the run settled on, from its own output: the graph returns only once its checkpoint is
  // stored, so reading the state back would only repeat it.
  let settled: Settled | undefined;
  const drive = async (input: Parameters<SignoffGraph["invoke"]>[0]) => {
    settled = writer
      ? await streamInto(writer, deps.graph, input, config, run.stream_modes!)
      : settledOf(await deps.graph.invoke(input, config));
  };
  const snapshot = await deps.graph.getState(config);
  const pending = pendingInterrupts(snapshot);
  // `next` leaves out tasks whose writes were saved before the step's checkpoint was (a run cut
  // off between the two): `tasks` still lists them, and invoke(null) applies their writes.
  const stoppedMidway = snapshot.tasks.length > 0 && pending.length === 0;

  if (run.kind === "start" && !snapshot.createdAt) {
    // A protocol client's input as it sent it; signoff's own API queues the thread's question
    // with the run (a batch's runs leave it to the thread).
    await drive(run.input ?? (await questionOf(deps.pool, run.thread_id)));
  } else if (run.kind === "resume") {
    const review = run.review_id ? await findReview(deps.pool, run.review_id) : undefined;
    if (!review?.decision) throw new Error(`resume run ${run.run_id} has no decided review`);
    if (pending.some((i) => i.id === review.interrupt_id)) {
      // Keyed by interrupt id: a plain resume value would go to every pending interrupt.
      await drive(new Command({ resume: { [review.interrupt_id]: review.decision } }));
    } else if (stoppedMidway) {
      await drive(null);
    }
  } else if (stoppedMidway) {
    await drive(null);
  }

  // The stream is complete before the outcome is: a client that sees the run finished has
  // every event.
  await writer?.flush();
  // Nothing to run (the interrupt was answered already): the state is the one read above.
  settled ??= { values: snapshot.values as State, interrupts: pendingInterrupts(snapshot) };
  return recordOutcome(deps, run, settled, gate, checkpoints);
}

async function questionOf(pool: pg.Pool, threadId: string): Promise<Partial<State>> {
  const thread = await findThread(pool, threadId);
  if (!thread) throw new Error(`thread ${threadId} does not exist`);
  return { question: thread.question, metadata: thread.metadata };
}

/** Where a run left the thread: its state, and the interrupts it paused on (none: it ended). */
interface Settled {
  values: State;
  interrupts: PendingInterrupt[];
}

/** A run's output (`invoke`'s, or the last `values` chunks) as the state it settled on. */
function settledOf(output: Record<string, unknown>): Settled {
  const { [INTERRUPT]: raw, ...values } = output;
  return { values: values as State, interrupts: interruptsOf(raw) };
}

function interruptsOf(raw: unknown): PendingInterrupt[] {
  return (Array.isArray(raw) ? (raw as Interrupt[]) : []).map((i) => ({
    id: String(i.id),
    value: i.value as HumanInterrupt,
  }));
}

/**
 * Follows the `values` chunks of a stream, which the executor always asks the graph for: the
 * last full state, and the interrupts LangGraph sends as a chunk of their own at a pause.
 */
class SettledTracker {
  private values: Record<string, unknown> = {};
  private interrupts: PendingInterrupt[] = [];

  see(chunk: unknown): void {
    if (typeof chunk !== "object" || chunk === null) return;
    const record = chunk as Record<string, unknown>;
    if (INTERRUPT in record) this.interrupts = interruptsOf(record[INTERRUPT]);
    else this.values = record;
  }

  get settled(): Settled {
    return { values: this.values as State, interrupts: this.interrupts };
  }
}

/** Runs the graph in stream mode, writing what the client asked to see into the run's stream. */
async function streamInto(
  writer: RunEventWriter,
  graph: SignoffGraph,
  input: Parameters<SignoffGraph["invoke"]>[0],
  config: Parameters<SignoffGraph["invoke"]>[1],
  modes: readonly string[],
): Promise<Settled> {
  const streamMode = graphModesFor(modes);
  if (modes.includes("events")) {
    return streamEventsInto(writer, graph, input, config, streamMode);
  }
  if (streamMode.length === 0) {
    return settledOf(await graph.invoke(input, config));
  }
  const wanted = new Set<string>(streamMode);
  const tracker = new SettledTracker();
  const stream = await graph.stream(input, { ...config, streamMode: withValues(streamMode) });
  for await (const [mode, chunk] of stream as AsyncIterable<[string, unknown]>) {
    if (mode === "values") tracker.see(chunk);
    if (wanted.has(mode)) writer.push(mode, chunk);
  }
  return tracker.settled;
}

/** The modes asked for, and `values`, which the executor reads the run's outcome from. */
const withValues = (modes: ReturnType<typeof graphModesFor>) => [
  ...new Set([...modes, "values" as const]),
];

/**
 * The `events` mode (LangChain's callback events, what Agent Inbox shows progress from), as
 * LangGraph's server makes it: one `streamEvents` run whose root `on_chain_stream` events carry
 * the other modes' chunks, and every other event sent as an `events` event.
 */
async function streamEventsInto(
  writer: RunEventWriter,
  graph: SignoffGraph,
  input: Parameters<SignoffGraph["invoke"]>[0],
  config: Parameters<SignoffGraph["invoke"]>[1],
  streamMode: ReturnType<typeof graphModesFor>,
): Promise<Settled> {
  const wanted = new Set<string>(streamMode);
  const tracker = new SettledTracker();
  // The graph's own run, told apart from its nodes' by id (a fresh one per attempt).
  const rootRunId = randomUUID();
  const events = graph.streamEvents(input, {
    ...config,
    runId: rootRunId,
    version: "v2",
    streamMode: withValues(streamMode),
  });
  for await (const event of events) {
    if (event.tags?.includes("langsmith:hidden")) continue;
    if (event.event !== "on_chain_stream" || event.run_id !== rootRunId) {
      writer.push("events", event);
      continue;
    }
    const [mode, chunk] = (event.data as { chunk: [string, unknown] }).chunk;
    if (mode === "values") tracker.see(chunk);
    if (wanted.has(mode)) writer.push(mode, chunk);
  }
  return tracker.settled;
}

/** The run was taken over by another worker: this one must write nothing more. */
export class LeaseLostError extends Error {}

async function recordOutcome(
  deps: ExecutorDeps,
  run: RunRow,
  settled: Settled,
  gate: RunGate,
  checkpoints: RunCheckpoints | undefined,
): Promise<RunOutcome> {
  const state = settled.values;
  const { interrupts } = settled;
  return withTransaction(deps.pool, async (tx) => {
    // First, and in the same transaction: only the lease holder records the outcome.
    if (!(await finishRun(tx, leaseOf(run), gate))) {
      throw new LeaseLostError(
        `run ${run.run_id} attempt ${run.attempts} no longer holds its lease`,
      );
    }
    // The checkpoint the run ended on, with what it means for the app's tables: a crash before
    // this commit leaves neither, and the run is replayed; after it, both.
    await checkpoints?.writeOn(tx);
    let outcome: RunOutcome;
    if (interrupts.length > 0) {
      for (const { id, value } of interrupts) {
        const card = cardOfInterrupt(value);
        const created = await insertReviewOnce(tx, {
          ...deadlinesFor(deps.reviewPolicy, card.stage, card.risk_tier),
          approvals_required: approvalsRequired(deps.reviewPolicy, card.stage, card.risk_tier),
          thread_id: run.thread_id,
          interrupt_id: id,
          stage: card.stage,
          priority: reviewPriority(card),
          risk_tier: card.risk_tier,
          reason: card.reason,
          trigger: triggerOf(card),
          card,
        });
        if (created) {
          await appendReviewEvent(tx, {
            review_id: created.review_id,
            type: "created",
            actor: "system",
            after: { status: created.status, stage: created.stage, reason: created.reason },
          });
          await deps.emit(tx, "review.created", {
            review_id: created.review_id,
            thread_id: created.thread_id,
            stage: created.stage,
            risk_tier: created.risk_tier,
            priority: created.priority,
            reason: created.reason,
            due_at: created.due_at?.toISOString() ?? null,
          });
        }
      }
      await setThreadStatus(tx, run.thread_id, "awaiting_review", { risk_tier: state.riskTier });
      outcome = "awaiting_review";
    } else if (state.answer !== undefined && state.provenance) {
      const final = {
        answer: state.answer,
        provenance: state.provenance,
        answer_provider: answerProvider(state),
        citations:
          state.provenance === "auto" || state.provenance === "approved"
            ? citationsWithVersions(state.draft?.citations ?? [], state.evidence ?? [])
            : [],
        risk_tier: state.riskTier ?? null,
      };
      // What the gates saw, so a user's rating of this answer is a labelled case (live loop).
      const facts = {
        retrieval_score: state.retrieval?.score ?? null,
        judge_score: state.judgment?.score ?? null,
        judge_flags: state.judgment?.flags ?? [],
        audit_sample: state.auditSample ?? false,
        ...gate,
      };
      if (await completeThread(tx, run.thread_id, final, facts)) {
        await deps.emit(tx, "thread.completed", {
          thread_id: run.thread_id,
          ...final,
          fallback_reason: state.fallbackReason ?? null,
        });
      }
      outcome = "completed";
    } else {
      throw new Error(`run ${run.run_id} ended with the graph neither paused nor finished`);
    }
    return outcome;
  });
}

/** Who wrote the words the user gets. */
function answerProvider(state: State): string {
  switch (state.provenance) {
    case "human":
    case "edited":
      return "human";
    case "fallback":
      return "policy";
    default:
      return state.draft?.provider ?? "unknown";
  }
}
