import type pg from "pg";
import type { Principal } from "../auth/principal.js";
import type { SignoffGraph } from "../graph/graph.js";
import type { Logger } from "../logger.js";
import { findThread, type ThreadRow } from "../repositories/threads.js";
import type { RunSignals } from "../runs/thread-events.js";
import { notFound } from "../services/errors.js";
import type { ReviewServiceDeps } from "../services/reviews.js";

/** What the Agent Protocol services need: the same database, graph and review workflow. */
export interface ProtocolDeps {
  pool: pg.Pool;
  /** Compiled over the same checkpointer the workers write: for state, history and graphs. */
  graph: SignoffGraph;
  signals: RunSignals;
  reviews: ReviewServiceDeps;
  maxAttempts: number;
  logger: Logger;
}

/** A client key sees only the threads it started: others look like they do not exist. */
export function mayRead(principal: Principal, row: Pick<ThreadRow, "owner_id">): boolean {
  return principal.open || principal.role !== "client" || row.owner_id === principal.id;
}

export async function readableThread(
  deps: Pick<ProtocolDeps, "pool">,
  principal: Principal,
  threadId: string,
): Promise<ThreadRow> {
  const row = await findThread(deps.pool, threadId);
  if (!row || !mayRead(principal, row)) throw notFound("thread", threadId);
  return row;
}

export const threadConfig = (threadId: string) => ({ configurable: { thread_id: threadId } });
