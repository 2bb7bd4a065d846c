import { randomUUID } from "node:crypto";
import type { StateSnapshot } from "@langchain/langgraph";
import type { Principal } from "../auth/principal.js";
import { parseResumeValue } from "../graph/decision.js";
import { reviewsOfThread } from "../repositories/reviews.js";
import { hasActiveRun } from "../repositories/runs.js";
import {
  countThreads,
  deleteThreadRow,
  insertIdleThread,
  searchThreads,
  threadHasReviews,
  type ThreadRow,
  type ThreadSearch,
} from "../repositories/threads.js";
import { ConflictError, InvalidInputError } from "../services/errors.js";
import { decide } from "../services/reviews.js";
import { readableThread, threadConfig, type ProtocolDeps } from "./deps.js";
import type { historyBody, stateUpdateBody, threadCountBody, threadSearchBody } from "./schemas.js";
import type { z } from "zod";
import { threadState, threadStatusesFor, threadView } from "./views.js";

/** The thread's last checkpoint; undefined before its first run wrote one. */
async function lastCheckpoint(deps: ProtocolDeps, threadId: string) {
  const snapshot = await deps.graph.getState(threadConfig(threadId));
  return snapshot.createdAt ? snapshot : undefined;
}

async function viewOf(deps: ProtocolDeps, row: ThreadRow, principal: Principal) {
  return threadView(row, await lastCheckpoint(deps, row.thread_id), principal);
}

export async function createThread(
  deps: ProtocolDeps,
  principal: Principal,
  body: { thread_id?: string; metadata?: Record<string, unknown>; if_exists?: string },
) {
  const threadId = (body.thread_id ?? randomUUID()).toLowerCase();
  const created = await insertIdleThread(deps.pool, {
    thread_id: threadId,
    metadata: body.metadata ?? {},
    created_by: principal.name,
    owner_id: principal.id,
  });
  if (created) return viewOf(deps, created, principal);
  if (body.if_exists === "do_nothing") {
    return viewOf(deps, await readableThread(deps, principal, threadId), principal);
  }
  throw new ConflictError("thread_exists", `thread ${threadId} already exists`);
}

export async function getProtocolThread(deps: ProtocolDeps, principal: Principal, id: string) {
  return viewOf(deps, await readableThread(deps, principal, id), principal);
}

type Filter = z.infer<typeof threadCountBody>;

function searchOf(principal: Principal, filter: Filter): ThreadSearch {
  const values = filter.values ?? {};
  const columns = {
    ...(values.question !== undefined ? { question: values.question } : {}),
    ...(values.answer !== undefined ? { answer: values.answer } : {}),
    ...(values.provenance !== undefined ? { provenance: values.provenance } : {}),
    ...(values.riskTier !== undefined ? { risk_tier: values.riskTier } : {}),
  };
  return {
    statuses: filter.status ? threadStatusesFor(filter.status) : undefined,
    metadata: filter.metadata,
    ids: filter.ids,
    columns,
    ownerId: !principal.open && principal.role === "client" ? principal.id : undefined,
  };
}

export async function searchProtocolThreads(
  deps: ProtocolDeps,
  principal: Principal,
  body: z.infer<typeof threadSearchBody>,
) {
  const search = searchOf(principal, body);
  const [rows, total] = await Promise.all([
    searchThreads(deps.pool, search, {
      limit: body.limit,
      offset: body.offset,
      sortBy: body.sort_by,
      sortOrder: body.sort_order,
    }),
    countThreads(deps.pool, search),
  ]);
  const threads = [];
  for (const row of rows) threads.push(await viewOf(deps, row, principal));
  return { threads, total };
}

export function countProtocolThreads(deps: ProtocolDeps, principal: Principal, body: Filter) {
  return countThreads(deps.pool, searchOf(principal, body));
}

/**
 * Deletes a thread that has nothing worth keeping. A thread that ever went to review is kept:
 * its decisions are the audit trail and the eval data.
 */
export async function deleteProtocolThread(deps: ProtocolDeps, principal: Principal, id: string) {
  await readableThread(deps, principal, id);
  if (await threadHasReviews(deps.pool, id)) throw kept();
  if (await hasActiveRun(deps.pool, id)) throw busyThread();
  // Checked again by the delete itself: a review or run that came after the checks wins.
  if (!(await deleteThreadRow(deps.pool, id))) {
    throw (await threadHasReviews(deps.pool, id)) ? kept() : busyThread();
  }
  const saver = deps.graph.checkpointer;
  if (saver && typeof saver === "object") await saver.deleteThread(id);
}

const kept = () =>
  new ConflictError(
    "thread_kept",
    "a thread that went to review is kept for the audit trail and cannot be deleted",
  );
const busyThread = () =>
  new ConflictError("thread_busy", "the thread has a run queued or running; cancel it first");

export async function protocolThreadState(deps: ProtocolDeps, principal: Principal, id: string) {
  await readableThread(deps, principal, id);
  return threadState(await deps.graph.getState(threadConfig(id)), principal);
}

export async function protocolThreadHistory(
  deps: ProtocolDeps,
  principal: Principal,
  id: string,
  body: z.infer<typeof historyBody>,
) {
  await readableThread(deps, principal, id);
  // The path's thread, whatever the body names: the caller may read this one only.
  const { checkpoint_id, checkpoint_ns } = body.checkpoint ?? {};
  const config = {
    configurable: {
      thread_id: id,
      ...(checkpoint_id !== undefined ? { checkpoint_id } : {}),
      ...(checkpoint_ns !== undefined ? { checkpoint_ns } : {}),
    },
  };
  const states: StateSnapshot[] = [];
  for await (const snapshot of deps.graph.getStateHistory(config, {
    limit: body.limit,
    before: body.before as never,
    filter: body.metadata,
  })) {
    states.push(snapshot);
  }
  return states.map((snapshot) => threadState(snapshot, principal));
}

/**
 * Agent Inbox's "mark as resolved" (`{values: null, as_node: "__end__"}`) on an interrupted
 * thread: the reviewer closes the item without an answer, recorded as their decision to reject
 * it through the review workflow (claims, approvals, audit event, feedback), so the user gets the
 * safe fallback reply and the thread completes. Any other state update is refused: signoff's
 * threads change only through reviews.
 */
export async function updateProtocolThreadState(
  deps: ProtocolDeps,
  principal: Principal,
  id: string,
  body: z.infer<typeof stateUpdateBody>,
) {
  const row = await readableThread(deps, principal, id);
  if (body.values != null || body.as_node !== "__end__") {
    throw new InvalidInputError(
      "state_update_not_supported",
      'signoff threads change only through reviews; the one update accepted is "mark as resolved": {"values": null, "as_node": "__end__"}',
    );
  }
  const pending = (await reviewsOfThread(deps.pool, id)).filter((r) => r.status === "pending");
  if (pending.length === 0) {
    throw new ConflictError("not_interrupted", `thread ${id} is not waiting for a review`);
  }
  for (const review of pending) {
    await decide(
      deps.reviews,
      review.review_id,
      parseResumeValue({ type: "reject", reasons: ["marked resolved in Agent Inbox"] }),
      { name: principal.name, admin: principal.open || principal.role === "admin" },
    );
  }
  const snapshot = await deps.graph.getState(threadConfig(id));
  const state = threadState(snapshot, principal);
  return { checkpoint: state.checkpoint, thread_id: row.thread_id };
}
