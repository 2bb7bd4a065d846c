import { z } from "zod";
import type { Principal } from "../auth/principal.js";
import { parseResumeValue, type Decision } from "../graph/decision.js";
import { interruptsOfThread, type ReviewInterrupt } from "../repositories/review-interrupts.js";
import { insertFinishedRun, type RunRequest } from "../repositories/runs.js";
import { ConflictError, InvalidInputError } from "../services/errors.js";
import { decide } from "../services/reviews.js";
import type { ProtocolDeps } from "./deps.js";

/**
 * `command: {resume}` on a protocol run is a reviewer's decision: it goes through the same
 * decision service as POST /reviews/:id/decision (claims, stale versions, N approvals, exactly
 * once), with the actor from the API key. The resume may be keyed by interrupt id (as LangGraph
 * resumes several interrupts) or be the value for the thread's one pending interrupt; it may be
 * a signoff decision, Agent Inbox's HumanResponse list or LangChain v1's `{decisions}`.
 */
export async function resumeThroughReview(
  deps: ProtocolDeps,
  principal: Principal,
  threadId: string,
  resume: unknown,
  request: RunRequest,
): Promise<void> {
  const interrupts = await interruptsOfThread(deps.pool, threadId);
  const { target, value } = targetOf(interrupts, resume, threadId);
  const result = await decide(
    deps.reviews,
    target.review_id,
    decisionOf(value),
    { name: principal.name, admin: principal.open || principal.role === "admin" },
    { run: request },
  );
  // One vote of several: nothing to run yet, but the client still gets its run, finished.
  if (result.outcome !== "decided") {
    await insertFinishedRun(deps.pool, {
      thread_id: threadId,
      review_id: target.review_id,
      request,
    });
  }
}

function targetOf(
  interrupts: ReviewInterrupt[],
  resume: unknown,
  threadId: string,
): { target: ReviewInterrupt; value: unknown } {
  const byId = new Map(interrupts.map((i) => [i.interrupt_id, i]));
  if (resume !== null && typeof resume === "object" && !Array.isArray(resume)) {
    const keys = Object.keys(resume);
    if (keys.length > 0 && keys.every((k) => byId.has(k))) {
      if (keys.length > 1) {
        throw new InvalidInputError("one_interrupt_at_a_time", "resume one interrupt per run");
      }
      const target = byId.get(keys[0]!)!;
      if (target.status !== "pending") throw alreadyDecided(target);
      return { target, value: (resume as Record<string, unknown>)[keys[0]!] };
    }
  }
  const pending = interrupts.filter((i) => i.status === "pending");
  if (pending.length === 0) {
    const last = interrupts.at(-1);
    if (last) throw alreadyDecided(last);
    throw new ConflictError("not_interrupted", `thread ${threadId} is not waiting for a review`);
  }
  if (pending.length > 1) {
    throw new InvalidInputError(
      "interrupt_id_required",
      "the thread waits on several interrupts: key the resume by interrupt id",
      { interrupt_ids: pending.map((p) => p.interrupt_id) },
    );
  }
  return { target: pending[0]!, value: resume };
}

const alreadyDecided = (review: ReviewInterrupt) =>
  new ConflictError(
    "already_decided",
    `the interrupt of review ${review.review_id} is already decided`,
    {
      review_id: review.review_id,
    },
  );

function decisionOf(value: unknown): Decision {
  try {
    return parseResumeValue(value);
  } catch (error) {
    if (!(error instanceof z.ZodError)) throw error;
    throw new InvalidInputError(
      "invalid_resume",
      "command.resume is not a decision: send a HumanResponse list, {decisions: [...]} or a signoff decision",
      error.issues.map((i) => ({ path: i.path.join(".") || "(root)", message: i.message })),
    );
  }
}
