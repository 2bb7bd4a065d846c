import type { StateSnapshot } from "@langchain/langgraph";
import { findRun, type RunRow } from "../repositories/runs.js";
import { lastResultEvent, runEventsAfter, type RunEventRow } from "../repositories/run-events.js";
import { threadConfig, type ProtocolDeps } from "./deps.js";
import type { Principal } from "../auth/principal.js";
import { clientValues, seesEverything } from "./client-view.js";
import { toWireValue } from "./wire-json.js";

/** How long a reader waits between looks when no local worker signals (another process's). */
const POLL_MS = 100;

const finished = (run: RunRow | undefined) =>
  !run || (run.status !== "queued" && run.status !== "running");

/**
 * A run's stream read from Postgres: every event after `afterSeq`, then new ones as workers in
 * any process write them, until the run has finished and everything it wrote was sent. A local
 * worker's writes wake the reader at once; another process's are seen within POLL_MS.
 */
export async function* runEvents(
  deps: Pick<ProtocolDeps, "pool" | "signals">,
  runId: string,
  afterSeq: number,
  signal?: AbortSignal,
): AsyncGenerator<RunEventRow> {
  let seq = afterSeq;
  while (!signal?.aborted) {
    // The listener goes first: a write between the read and the wait still wakes it.
    const woken = deps.signals.nextRunEvents(runId, POLL_MS);
    const events = await runEventsAfter(deps.pool, runId, seq);
    for (const event of events) {
      seq = event.seq;
      yield event;
    }
    if (events.length > 0) continue;
    // Events are written before a run finishes, so a finished run with nothing new is done.
    if (finished(await findRun(deps.pool, runId))) {
      const rest = await runEventsAfter(deps.pool, runId, seq);
      for (const event of rest) yield event;
      return;
    }
    await woken;
  }
}

/** Waits for the run to finish; resolves at once if it has. */
export async function untilFinished(
  deps: Pick<ProtocolDeps, "pool" | "signals">,
  run: RunRow,
  signal?: AbortSignal,
): Promise<RunRow> {
  let current: RunRow | undefined = run;
  while (!finished(current) && !signal?.aborted) {
    const woken = deps.signals.nextRunEvents(run.run_id, 250);
    current = await findRun(deps.pool, run.run_id);
    if (finished(current)) break;
    await woken;
  }
  return current ?? run;
}

/**
 * What `runs.wait` and `runs.join` answer: the run's last `values` event (the state, or at a
 * pause `{__interrupt__: [...]}`), `{__error__}` when it failed, else the thread's state.
 */
export async function runResult(
  deps: ProtocolDeps,
  run: RunRow,
  principal: Principal,
): Promise<unknown> {
  const shown = (values: unknown) => (seesEverything(principal) ? values : clientValues(values));
  const last = await lastResultEvent(deps.pool, run.run_id);
  if (last?.event === "error") return { __error__: JSON.parse(last.data) as unknown };
  if (last) return shown(JSON.parse(last.data) as unknown);
  const snapshot: StateSnapshot = await deps.graph.getState(threadConfig(run.thread_id));
  return shown(toWireValue(snapshot.values));
}
