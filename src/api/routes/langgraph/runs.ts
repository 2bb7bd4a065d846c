import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { z } from "zod";
import type { RunRow } from "../../../repositories/runs.js";
import { runResult, untilFinished } from "../../../protocol/run-stream.js";
import {
  cancelProtocolRun,
  createProtocolRun,
  getProtocolRun,
  getRunById,
  asksForSettings,
  isResume,
  listProtocolRuns,
} from "../../../protocol/runs.js";
import {
  cancelQuery,
  joinStreamQuery,
  listRunsQuery,
  runCreateBody,
  type RunCreateBody,
} from "../../../protocol/schemas.js";
import { runView } from "../../../protocol/views.js";
import type { ApiEnv } from "../../app.js";
import { errors, jsonRequestBody, routeGroup, uuidParam } from "../../openapi.js";
import {
  assertRole,
  eventStream,
  jsonAfterKeepAlive,
  jsonList,
  jsonObject,
  lastEventSeq,
  PREFIX,
  sseOfRun,
  tags,
} from "./kit.js";

const threadPath = z.object({ threadId: uuidParam });
const runPath = z.object({ threadId: uuidParam, runId: uuidParam });
const statelessRunPath = z.object({ runId: uuidParam });
const createDescription =
  "A question: roles client, admin. A resume (`command.resume`), which is a review decision: roles reviewer, admin.";
const anyRole = "Any role; a client key sees only the runs of threads it started.";

const runResponses = <R extends object>(response: R) => ({
  200: response,
  409: errors.conflict,
  ...errors.body,
  404: errors.byId[404],
});

/** A run on a thread of the path. */
const threadRunRoute = <R extends object>(path: string, summary: string, response: R) =>
  createRoute({
    method: "post",
    path,
    tags,
    summary,
    description: createDescription,
    request: { params: threadPath, body: jsonRequestBody(runCreateBody) },
    responses: runResponses(response),
  });

/** A run on a new thread ("stateless"; the thread is kept). */
const newThreadRunRoute = <R extends object>(path: string, summary: string, response: R) =>
  createRoute({
    method: "post",
    path,
    tags,
    summary,
    description: createDescription,
    request: { body: jsonRequestBody(runCreateBody) },
    responses: runResponses(response),
  });

/**
 * Streams and keep-alive JSON are written as they come, not as one typed JSON body; the route
 * declarations still document them.
 */
const streamed = (response: Response) => response as never;

/** Creates the run, after the role check its kind needs; the thread id is absent when stateless. */
async function create(c: Context<ApiEnv>, threadId: string | undefined, body: RunCreateBody) {
  if (isResume(body)) assertRole(c, "reviewer", "admin");
  else assertRole(c, "client", "admin");
  // Thresholds decide what a human sees: a client may not lower them for its own runs.
  if (asksForSettings(body)) assertRole(c, "admin");
  const run = await createProtocolRun(c.var.services.protocol, c.var.principal, threadId, body);
  c.header(
    "Content-Location",
    threadId === undefined
      ? `${PREFIX}/runs/${run.run_id}`
      : `${PREFIX}/threads/${run.thread_id}/runs/${run.run_id}`,
  );
  return run;
}

/**
 * What a stream does when its client goes away: nothing (`on_disconnect: "continue"`, the
 * default), or cancel the run (`"cancel"`; a resume's decision stays, see cancelProtocolRun).
 */
function cancelOnDisconnect(c: Context<ApiEnv>, run: RunRow, cancel: boolean | undefined) {
  const { principal } = c.var;
  // Only who may cancel it (the cancel route's roles): a reviewer watching a stream may not.
  const mayCancel = principal.open || principal.role === "client" || principal.role === "admin";
  if (!cancel || run.kind !== "start" || !mayCancel) return undefined;
  const deps = c.var.services.protocol;
  return () => cancelProtocolRun(deps, principal, run.thread_id, run.run_id);
}

function streamOf(c: Context<ApiEnv>, run: RunRow, body: RunCreateBody): Response {
  return sseOfRun(c, run.run_id, 0, cancelOnDisconnect(c, run, body.on_disconnect === "cancel"));
}

function waitFor(c: Context<ApiEnv>, run: RunRow): never {
  const deps = c.var.services.protocol;
  return streamed(
    jsonAfterKeepAlive(c, async (signal) =>
      runResult(deps, await untilFinished(deps, run, signal), c.var.principal),
    ),
  );
}

const createRun = threadRunRoute(
  "/threads/{threadId}/runs",
  "Start a run in the background",
  jsonObject("The run"),
);
const streamRun = threadRunRoute(
  "/threads/{threadId}/runs/stream",
  "Start a run and stream it",
  eventStream("The run's events"),
);
const waitRun = threadRunRoute(
  "/threads/{threadId}/runs/wait",
  "Start a run and wait for its last values",
  jsonObject("The last values (at a pause, the interrupts)"),
);
const statelessCreate = newThreadRunRoute(
  "/runs",
  "Start a run on a new thread",
  jsonObject("The run"),
);
const statelessStream = newThreadRunRoute(
  "/runs/stream",
  "Start a run on a new thread and stream it",
  eventStream("The run's events"),
);
const statelessWait = newThreadRunRoute(
  "/runs/wait",
  "Start a run on a new thread and wait for its last values",
  jsonObject("The last values"),
);

const listRoute = createRoute({
  method: "get",
  path: "/threads/{threadId}/runs",
  tags,
  summary: "The thread's runs, newest first",
  description: anyRole,
  request: { params: threadPath, query: listRunsQuery },
  responses: { 200: jsonList("Runs"), ...errors.byId },
});

const getRoute = createRoute({
  method: "get",
  path: "/threads/{threadId}/runs/{runId}",
  tags,
  summary: "A run",
  description: anyRole,
  request: { params: runPath },
  responses: { 200: jsonObject("The run"), ...errors.byId },
});

const joinRoute = createRoute({
  method: "get",
  path: "/threads/{threadId}/runs/{runId}/join",
  tags,
  summary: "Wait for a run and get its last values",
  description: anyRole,
  request: { params: runPath },
  responses: { 200: jsonObject("The last values"), ...errors.byId },
});

const joinStreamRoute = createRoute({
  method: "get",
  path: "/threads/{threadId}/runs/{runId}/stream",
  tags,
  summary: "A run's stream, from its start or after Last-Event-ID",
  description: anyRole,
  request: { params: runPath, query: joinStreamQuery },
  responses: { 200: eventStream("The run's events"), ...errors.byId },
});

const statelessJoinStreamRoute = createRoute({
  method: "get",
  path: "/runs/{runId}/stream",
  tags,
  summary: "A run's stream by run id, from its start or after Last-Event-ID",
  description: anyRole,
  request: { params: statelessRunPath, query: joinStreamQuery },
  responses: { 200: eventStream("The run's events"), ...errors.byId },
});

const cancelRoute = createRoute({
  method: "post",
  path: "/threads/{threadId}/runs/{runId}/cancel",
  tags,
  summary: "Cancel a run that asks a question (a resume's decision is final)",
  description: "Roles: client (its own threads), admin.",
  request: { params: runPath, query: cancelQuery },
  responses: {
    202: { description: "Cancelled" },
    204: { description: "Cancelled, and it has stopped (`wait=true`)" },
    409: errors.conflict,
    ...errors.byId,
  },
});

export function protocolRunRoutes() {
  return routeGroup()
    .openapi(createRun, async (c) => {
      const run = await create(c, c.req.valid("param").threadId, c.req.valid("json"));
      return c.json(runView(run), 200);
    })
    .openapi(streamRun, async (c) => {
      const body = c.req.valid("json");
      return streamed(streamOf(c, await create(c, c.req.valid("param").threadId, body), body));
    })
    .openapi(waitRun, async (c) =>
      waitFor(c, await create(c, c.req.valid("param").threadId, c.req.valid("json"))),
    )
    .openapi(statelessCreate, async (c) => {
      const run = await create(c, undefined, c.req.valid("json"));
      return c.json(runView(run), 200);
    })
    .openapi(statelessStream, async (c) => {
      const body = c.req.valid("json");
      return streamed(streamOf(c, await create(c, undefined, body), body));
    })
    .openapi(statelessWait, async (c) =>
      waitFor(c, await create(c, undefined, c.req.valid("json"))),
    )
    .openapi(listRoute, async (c) => {
      const { threadId } = c.req.valid("param");
      const runs = await listProtocolRuns(
        c.var.services.protocol,
        c.var.principal,
        threadId,
        c.req.valid("query"),
      );
      return c.json(runs.map(runView), 200);
    })
    .openapi(getRoute, async (c) => {
      const { threadId, runId } = c.req.valid("param");
      const run = await getProtocolRun(c.var.services.protocol, c.var.principal, threadId, runId);
      return c.json(runView(run), 200);
    })
    .openapi(joinRoute, async (c) => {
      const { threadId, runId } = c.req.valid("param");
      return waitFor(
        c,
        await getProtocolRun(c.var.services.protocol, c.var.principal, threadId, runId),
      );
    })
    .openapi(joinStreamRoute, async (c) => {
      const { threadId, runId } = c.req.valid("param");
      const run = await getProtocolRun(c.var.services.protocol, c.var.principal, threadId, runId);
      c.header("Content-Location", `${PREFIX}/threads/${threadId}/runs/${runId}`);
      const cancel = cancelOnDisconnect(c, run, c.req.valid("query").cancel_on_disconnect);
      return streamed(sseOfRun(c, run.run_id, lastEventSeq(c), cancel));
    })
    .openapi(statelessJoinStreamRoute, async (c) => {
      const run = await getRunById(
        c.var.services.protocol,
        c.var.principal,
        c.req.valid("param").runId,
      );
      c.header("Content-Location", `${PREFIX}/runs/${run.run_id}`);
      const cancel = cancelOnDisconnect(c, run, c.req.valid("query").cancel_on_disconnect);
      return streamed(sseOfRun(c, run.run_id, lastEventSeq(c), cancel));
    })
    .openapi(cancelRoute, async (c) => {
      assertRole(c, "client", "admin");
      const { threadId, runId } = c.req.valid("param");
      const deps = c.var.services.protocol;
      const run = await cancelProtocolRun(deps, c.var.principal, threadId, runId);
      if (c.req.valid("query").wait) {
        await untilFinished(deps, run);
        return c.body(null, 204);
      }
      return c.body(null, 202);
    });
}
