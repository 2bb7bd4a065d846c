import { randomUUID } from "node:crypto";
import type { Principal } from "../auth/principal.js";
import { withTransaction } from "../db/database.js";
import {
  cancelRun,
  enqueueRun,
  findRun,
  hasActiveRun,
  runsOfThread,
  type RunRequest,
  type RunRow,
} from "../repositories/runs.js";
import {
  findThread,
  insertIdleThread,
  queueIdleThread,
  setThreadStatus,
  type ThreadRow,
} from "../repositories/threads.js";
import { ConflictError, InvalidInputError, notFound } from "../services/errors.js";
import { checkAssistant } from "./assistant.js";
import { mayRead, readableThread, type ProtocolDeps } from "./deps.js";
import { resumeThroughReview } from "./resume.js";
import { configurableSettings, runInput, type RunCreateBody, type RunInput } from "./schemas.js";

/**
 * Agent Chat UI's "mark as resolved": `command: {goto: "__end__"}` alone. On signoff it closes
 * the pending review as a reviewer's rejection (the user gets the safe fallback reply), as
 * Agent Inbox's `updateState({values: null, as_node: "__end__"})` does.
 */
const marksResolved = (body: RunCreateBody) =>
  body.command?.goto === "__end__" &&
  body.command.resume === undefined &&
  body.command.update === undefined;

const RESOLVED_IN_CHAT = { type: "reject", reasons: ["marked resolved in Agent Chat UI"] };

/** Whether the request is a resume (a reviewer's job) rather than a new question. */
export const isResume = (body: RunCreateBody) =>
  body.command?.resume !== undefined || marksResolved(body);

/**
 * Creates a run in signoff's durable queue, executed by any worker: a new question on an idle
 * thread, or a resume, which is a review decision (./resume.ts). With no thread id (a stateless
 * run) a thread is created for it; it is kept, like every thread that may go to review.
 */
export async function createProtocolRun(
  deps: ProtocolDeps,
  principal: Principal,
  threadId: string | undefined,
  body: RunCreateBody,
): Promise<RunRow> {
  checkAssistant(body.assistant_id);
  if (
    !marksResolved(body) &&
    (body.command?.update !== undefined || body.command?.goto !== undefined)
  ) {
    throw new InvalidInputError(
      "command_not_supported",
      "signoff threads move only through reviews: command.update and command.goto are not supported",
    );
  }
  const request: RunRequest = {
    run_id: randomUUID(),
    stream_modes: streamModesOf(body),
    metadata: body.metadata ?? {},
    context: contextOf(body),
  };
  const thread = await threadFor(deps, principal, threadId, body, !isResume(body));
  if (isResume(body)) {
    const resume = marksResolved(body) ? RESOLVED_IN_CHAT : body.command!.resume;
    await resumeThroughReview(deps, principal, thread.thread_id, resume, request);
  } else {
    await startQuestion(deps, thread, body.input, request);
  }
  return (await findRun(deps.pool, request.run_id))!;
}

function streamModesOf(body: RunCreateBody): string[] {
  const modes = body.stream_mode == null ? [] : [body.stream_mode].flat();
  return modes.length > 0 ? [...new Set(modes)] : ["values"];
}

/** Whether the run asks for its own graph settings (thresholds …), which only admins may. */
export const asksForSettings = (body: RunCreateBody) => contextOf(body) !== null;

/** The run's graph settings: its `context`, and settings named in `config.configurable`. */
function contextOf(body: RunCreateBody): Record<string, unknown> | null {
  const configurable = body.config?.configurable ?? {};
  const named = Object.fromEntries(
    Object.keys(configurableSettings.shape)
      .filter((k) => configurable[k] !== undefined)
      .map((k) => [k, configurable[k]]),
  );
  const parsed = configurableSettings.safeParse(named);
  if (!parsed.success) {
    throw new InvalidInputError(
      "invalid_settings",
      `config.configurable: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`,
    );
  }
  const settings = { ...body.context?.settings, ...parsed.data };
  return Object.keys(settings).length > 0 ? { settings } : null;
}

async function threadFor(
  deps: ProtocolDeps,
  principal: Principal,
  threadId: string | undefined,
  body: RunCreateBody,
  mayCreate: boolean,
): Promise<ThreadRow> {
  if (threadId !== undefined) {
    const row = await findThread(deps.pool, threadId);
    if (row) {
      if (!mayRead(principal, row)) throw notFound("thread", threadId);
      return row;
    }
    if (body.if_not_exists !== "create" || !mayCreate) throw notFound("thread", threadId);
  } else if (!mayCreate) {
    // A resume answers an interrupt of an existing thread: it never starts one.
    throw new InvalidInputError("thread_required", "a resume needs the thread it resumes");
  }
  const created = await insertIdleThread(deps.pool, {
    thread_id: threadId ?? randomUUID(),
    metadata: {},
    created_by: principal.name,
    owner_id: principal.id,
  });
  // Lost a race to create the same id: use the thread the other request made.
  return created ?? (await readableThread(deps, principal, threadId!));
}

/** The question a run's input asks: `question`, or the text of the last human message. */
export function questionOf(input: RunInput): string {
  if (input.question !== undefined) return input.question;
  const human = [...(input.messages ?? [])]
    .reverse()
    .find((m) => m.type === "human" || m.role === "user" || m.role === "human");
  const content = human?.content;
  const text = (
    typeof content === "string"
      ? content
      : (content ?? []).map((part) => (part.type === "text" ? (part.text ?? "") : "")).join("\n")
  ).trim();
  if (!text)
    throw new InvalidInputError("invalid_input", "the input has no human message with text");
  if (text.length > 4000) {
    throw new InvalidInputError("invalid_input", "the question is over 4000 characters");
  }
  return text;
}

async function startQuestion(
  deps: ProtocolDeps,
  thread: ThreadRow,
  rawInput: unknown,
  given: RunRequest,
): Promise<void> {
  let request = given;
  refuseUnlessIdle(thread);
  if (rawInput != null && thread.question) {
    // A cancelled run's thread goes on from its checkpoint, which holds the question it asked.
    throw new ConflictError(
      "thread_asked",
      "this thread was asked a question already; continue it with `input: null`, or create a new thread",
    );
  }
  let question = thread.question;
  let metadata: Record<string, unknown> = {};
  if (rawInput != null) {
    const parsed = runInput.safeParse(rawInput);
    if (!parsed.success) {
      throw new InvalidInputError(
        "invalid_input",
        parsed.error.issues.map((i) => `${i.path.join(".") || "input"}: ${i.message}`).join("; "),
      );
    }
    question = questionOf(parsed.data);
    metadata = parsed.data.metadata ?? {};
    request = { ...request, input: graphInputOf(parsed.data) };
  } else if (!question) {
    throw new InvalidInputError("invalid_input", "the thread has no question yet: send `input`");
  }
  await withTransaction(deps.pool, async (tx) => {
    if (!(await queueIdleThread(tx, thread.thread_id, { question, metadata }))) {
      throw busy(thread.thread_id);
    }
    await enqueueRun(tx, {
      thread_id: thread.thread_id,
      kind: "start",
      max_attempts: deps.maxAttempts,
      request,
    });
  });
  deps.signals.runEnqueued();
}

/** The graph's own input keys, as the client sent them (other keys are no channel of it). */
function graphInputOf(input: RunInput): Record<string, unknown> {
  const { question, messages, metadata } = input;
  return Object.fromEntries(
    Object.entries({ question, messages, metadata }).filter(([, v]) => v !== undefined),
  );
}

function refuseUnlessIdle(thread: ThreadRow): void {
  switch (thread.status) {
    case "idle":
      return;
    case "queued":
    case "running":
      throw busy(thread.thread_id);
    case "awaiting_review":
      throw new ConflictError(
        "thread_interrupted",
        "the thread is waiting for a review: resume it with command.resume",
      );
    default:
      throw new ConflictError(
        "thread_finished",
        "a signoff thread answers one question; create a new thread for the next one",
      );
  }
}

const busy = (threadId: string) =>
  new ConflictError(
    "thread_busy",
    `thread ${threadId} is already running a task; wait for it to finish`,
  );

export async function getProtocolRun(
  deps: ProtocolDeps,
  principal: Principal,
  threadId: string,
  runId: string,
): Promise<RunRow> {
  await readableThread(deps, principal, threadId);
  const run = await findRun(deps.pool, runId);
  if (!run || run.thread_id !== threadId) throw notFound("run", runId);
  return run;
}

/** A run whose thread the caller may read, by run id alone (the stateless routes). */
export async function getRunById(deps: ProtocolDeps, principal: Principal, runId: string) {
  const run = await findRun(deps.pool, runId);
  if (!run) throw notFound("run", runId);
  await readableThread(deps, principal, run.thread_id);
  return run;
}

/** A protocol run status as signoff's statuses (and whether the run was cancelled). */
const RUN_STATUSES: Record<string, { statuses: readonly string[]; cancelled?: boolean }> = {
  pending: { statuses: ["queued"] },
  running: { statuses: ["running"] },
  success: { statuses: ["succeeded"] },
  error: { statuses: ["failed"], cancelled: false },
  interrupted: { statuses: ["failed"], cancelled: true },
};

export async function listProtocolRuns(
  deps: ProtocolDeps,
  principal: Principal,
  threadId: string,
  query: { limit: number; offset: number; status?: string },
): Promise<RunRow[]> {
  await readableThread(deps, principal, threadId);
  return runsOfThread(deps.pool, threadId, {
    limit: query.limit,
    offset: query.offset,
    ...(query.status ? RUN_STATUSES[query.status] : {}),
  });
}

/**
 * Cancels a run that asks a question: it fails for good and its thread goes back to idle (a
 * new run with no input continues from the last checkpoint). A resume run carries a decision
 * that is final, so it cannot be cancelled.
 */
export async function cancelProtocolRun(
  deps: ProtocolDeps,
  principal: Principal,
  threadId: string,
  runId: string,
): Promise<RunRow> {
  const run = await getProtocolRun(deps, principal, threadId, runId);
  if (run.kind === "resume") {
    throw new ConflictError(
      "decision_final",
      "this run applies a review decision, which is final: it cannot be cancelled",
    );
  }
  const cancelled = await withTransaction(deps.pool, async (tx) => {
    const row = await cancelRun(tx, runId);
    if (row && !(await hasActiveRun(tx, threadId))) {
      await setThreadStatus(tx, threadId, "idle");
    }
    return row;
  });
  if (cancelled) deps.signals.runCancelled(runId);
  deps.signals.runEventsWritten(runId);
  deps.signals.threadSettled(threadId);
  return cancelled ?? run;
}
