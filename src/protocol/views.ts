import type { StateSnapshot } from "@langchain/langgraph";
import type { RunRow } from "../repositories/runs.js";
import type { ThreadRow, ThreadStatus } from "../repositories/threads.js";
import { ASSISTANT_ID, GRAPH_ID } from "./assistant.js";
import type { Principal } from "../auth/principal.js";
import { clientInterrupts, clientValues, seesEverything } from "./client-view.js";
import { toWireValue } from "./wire-json.js";

/**
 * signoff's rows and checkpoints in the shapes of the LangGraph Platform API (the SDK's
 * `Thread`, `ThreadState` and `Run`).
 */

export type ProtocolThreadStatus = "idle" | "busy" | "interrupted" | "error";

const THREAD_STATUS: Record<ThreadStatus, ProtocolThreadStatus> = {
  idle: "idle",
  queued: "busy",
  running: "busy",
  awaiting_review: "interrupted",
  completed: "idle",
  failed: "error",
};

export const protocolThreadStatus = (status: ThreadStatus) => THREAD_STATUS[status];

/** The signoff statuses a protocol status stands for (for search filters). */
export function threadStatusesFor(status: ProtocolThreadStatus): ThreadStatus[] {
  return (Object.keys(THREAD_STATUS) as ThreadStatus[]).filter((s) => THREAD_STATUS[s] === status);
}

interface CheckpointRef {
  thread_id: string;
  checkpoint_ns: string;
  checkpoint_id: string | undefined;
  checkpoint_map: unknown;
}

function checkpointOf(config: StateSnapshot["config"] | undefined): CheckpointRef | null {
  const configurable = config?.configurable;
  if (!configurable?.thread_id) return null;
  return {
    thread_id: String(configurable.thread_id),
    checkpoint_ns: (configurable.checkpoint_ns as string | undefined) || "",
    checkpoint_id: configurable.checkpoint_id as string | undefined,
    checkpoint_map: configurable.checkpoint_map ?? null,
  };
}

/** A checkpoint as the SDK's `ThreadState`; a client sees only what client-view.ts allows. */
export function threadState(snapshot: StateSnapshot, principal: Principal) {
  const state = toWireValue<{
    values: unknown;
    tasks: { interrupts: unknown[]; result: unknown }[];
    checkpoint: unknown;
  }>({
    values: snapshot.values as unknown,
    next: snapshot.next,
    tasks: snapshot.tasks.map((task) => ({
      id: task.id,
      name: task.name,
      error: task.error != null ? errorMessage(task.error) : null,
      interrupts: task.interrupts,
      path: task.path,
      checkpoint:
        task.state && "configurable" in task.state ? (task.state.configurable ?? null) : null,
      state: null,
      result: task.result ?? null,
    })),
    metadata: snapshot.metadata ?? {},
    created_at: snapshot.createdAt ?? null,
    checkpoint: checkpointOf(snapshot.config),
    parent_checkpoint: checkpointOf(snapshot.parentConfig),
  });
  if (seesEverything(principal)) return state;
  return {
    ...state,
    values: clientValues(state.values),
    tasks: state.tasks.map((task) => ({
      ...task,
      interrupts: clientInterrupts({ task: task.interrupts }).task ?? [],
      // What a node wrote: a draft, a verdict.
      result: null,
    })),
  };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : JSON.stringify(error);
}

/** Pending interrupts by task id, as `Thread.interrupts`. */
export function interruptsOf(snapshot: StateSnapshot | undefined) {
  const byTask: Record<string, { id: string; value: unknown }[]> = {};
  for (const task of snapshot?.tasks ?? []) {
    if (task.interrupts.length > 0) {
      byTask[task.id] = task.interrupts.map((i) => ({
        id: String(i.id),
        value: i.value as unknown,
      }));
    }
  }
  return toWireValue<typeof byTask>(byTask);
}

/** A thread as the SDK's `Thread`; `snapshot` is its last checkpoint (none before it ran). */
export function threadView(
  row: ThreadRow,
  snapshot: StateSnapshot | undefined,
  principal: Principal,
) {
  const status = protocolThreadStatus(row.status);
  const hasState = snapshot?.createdAt !== undefined;
  const all = seesEverything(principal);
  const values = hasState ? toWireValue<Record<string, unknown>>(snapshot.values) : null;
  return {
    thread_id: row.thread_id,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    state_updated_at: snapshot?.createdAt ?? row.updated_at.toISOString(),
    metadata: { ...row.metadata, graph_id: GRAPH_ID, assistant_id: ASSISTANT_ID },
    status,
    values: all ? values : clientValues(values),
    interrupts: all ? interruptsOf(snapshot) : clientInterrupts(interruptsOf(snapshot)),
    error: status === "error" ? row.error : null,
    config: {},
  };
}

export type ProtocolRunStatus = "pending" | "running" | "error" | "success" | "interrupted";

export function protocolRunStatus(run: RunRow): ProtocolRunStatus {
  if (run.cancelled_at) return "interrupted";
  switch (run.status) {
    case "queued":
      // A queued run that failed an attempt is waiting for its retry: still pending.
      return "pending";
    case "running":
      return "running";
    case "succeeded":
      return "success";
    case "failed":
      return "error";
  }
}

/** A run as the SDK's `Run`. */
export function runView(run: RunRow) {
  return {
    run_id: run.run_id,
    thread_id: run.thread_id,
    assistant_id: ASSISTANT_ID,
    created_at: run.created_at.toISOString(),
    updated_at: (run.finished_at ?? run.started_at ?? run.created_at).toISOString(),
    status: protocolRunStatus(run),
    metadata: run.metadata,
    multitask_strategy: "reject" as const,
    kwargs: { stream_mode: run.stream_modes ?? [], context: run.context ?? {} },
    cancel_reason: run.cancelled_at ? "cancelled" : null,
    error: run.status === "failed" && !run.cancelled_at ? run.error : null,
    attempts: run.attempts,
  };
}
