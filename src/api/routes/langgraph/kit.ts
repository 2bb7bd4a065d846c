import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import { stream } from "hono/streaming";
import { z } from "zod";
import type { Role } from "../../../auth/keys.js";
import { hasRole } from "../../../auth/principal.js";
import { clientEvent, seesEverything } from "../../../protocol/client-view.js";
import { runEvents } from "../../../protocol/run-stream.js";
import type { ApiEnv } from "../../app.js";
import { ApiError } from "../../errors.js";
import { json } from "../../openapi.js";

/** What the protocol routes share: tags, loose response schemas, role checks, SSE. */

export const tags = ["agent protocol"];

/** The protocol's objects are documented by the LangGraph Platform API; here they pass through. */
export const protocolObject = z.looseObject({});
export const jsonObject = (description: string) => ({
  description,
  content: json(protocolObject),
});
export const jsonList = (description: string) => ({
  description,
  content: json(z.array(protocolObject)),
});
export const eventStream = (description: string) => ({
  description,
  content: { "text/event-stream": { schema: z.string() } },
});

/** Refuses (403) a caller without one of the roles; for checks that depend on the body. */
export function assertRole(c: Context<ApiEnv>, ...allowed: Role[]): void {
  const principal = c.var.principal;
  if (!hasRole(principal, allowed)) {
    throw new ApiError(
      403,
      "forbidden",
      `this needs the ${allowed.join(" or ")} role; your key is ${principal.role}`,
    );
  }
}

/** Where the protocol's routes are mounted (links in Content-Location). */
export const PREFIX = "/langgraph";

/**
 * A run's events as server-sent events, from `afterSeq` on, each with its `id:` so a client
 * that drops rejoins with Last-Event-ID. A client going away stops the reading, not the run.
 */
export function sseOfRun(
  c: Context<ApiEnv>,
  runId: string,
  afterSeq: number,
  onDisconnect?: () => Promise<unknown>,
): Response {
  const deps = c.var.services.protocol;
  return streamSSE(c, async (sse) => {
    const aborted = new AbortController();
    let ended = false;
    sse.onAbort(() => {
      aborted.abort();
      // The client left before the run ended (`on_disconnect: "cancel"`): stop the run too.
      if (!ended && onDisconnect) {
        onDisconnect().catch((error: unknown) =>
          deps.logger.warn({ err: error, run_id: runId }, "cancel on disconnect failed"),
        );
      }
    });
    // Every event keeps its id, so a client that rejoins after a skipped one misses nothing.
    const all = seesEverything(c.var.principal);
    for await (const event of runEvents(deps, runId, afterSeq, aborted.signal)) {
      const data = all ? event.data : clientEvent(event.event, event.data);
      if (data === undefined) continue;
      await sse.writeSSE({ id: String(event.seq), event: event.event, data });
    }
    ended = !aborted.signal.aborted;
  });
}

/** Last-Event-ID as a sequence number (anything else reads the stream from its start). */
export function lastEventSeq(c: Context<ApiEnv>): number {
  const header = c.req.header("last-event-id");
  const seq = header && /^\d{1,9}$/.test(header) ? Number(header) : 0;
  return seq;
}

/**
 * A JSON answer that takes a while (runs.wait, runs.join): newlines keep the connection alive
 * every second, as LangGraph Platform does, then the JSON (leading whitespace is valid JSON).
 */
export function jsonAfterKeepAlive(
  c: Context<ApiEnv>,
  result: (signal: AbortSignal) => Promise<unknown>,
): Response {
  c.header("Content-Type", "application/json");
  return stream(c, async (out) => {
    // A client that leaves stops the wait (and its timers) rather than the run.
    const gone = new AbortController();
    out.onAbort(() => gone.abort());
    const timer = setInterval(() => void out.write("\n"), 1000);
    try {
      const value = await result(gone.signal);
      if (gone.signal.aborted) {
        clearInterval(timer);
        return;
      }
      clearInterval(timer);
      await out.write(JSON.stringify(value));
    } catch (error) {
      clearInterval(timer);
      const message = error instanceof Error ? error.message : String(error);
      await out.write(JSON.stringify({ __error__: { error: "Error", message } }));
    }
  });
}
