import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import {
  countProtocolThreads,
  createThread,
  deleteProtocolThread,
  getProtocolThread,
  protocolThreadHistory,
  protocolThreadState,
  searchProtocolThreads,
  updateProtocolThreadState,
} from "../../../protocol/threads.js";
import {
  historyBody,
  stateUpdateBody,
  threadCountBody,
  threadCreateBody,
  threadSearchBody,
} from "../../../protocol/schemas.js";
import { requireRole } from "../../auth.js";
import { errors, json, jsonRequestBody, routeGroup, uuidParam } from "../../openapi.js";
import { jsonList, jsonObject, tags } from "./kit.js";

const threadPath = z.object({ threadId: uuidParam });
const anyRole = "Any role; a client key sees only the threads it started.";

const createThreadRoute = createRoute({
  method: "post",
  path: "/threads",
  tags,
  summary: "Create a thread; its question comes with its first run",
  description: "Roles: client, admin.",
  middleware: [requireRole("client", "admin")] as const,
  request: { body: jsonRequestBody(threadCreateBody) },
  responses: {
    200: jsonObject("The thread"),
    409: errors.conflict,
    ...errors.body,
  },
});

const searchRoute = createRoute({
  method: "post",
  path: "/threads/search",
  tags,
  summary: "Threads by status, metadata or mirrored values; total in X-Pagination-Total",
  description: anyRole,
  request: { body: jsonRequestBody(threadSearchBody) },
  responses: { 200: jsonList("A page of threads"), ...errors.body },
});

const countRoute = createRoute({
  method: "post",
  path: "/threads/count",
  tags,
  summary: "How many threads match",
  description: anyRole,
  request: { body: jsonRequestBody(threadCountBody) },
  responses: { 200: { description: "The count", content: json(z.number()) }, ...errors.body },
});

const getThreadRoute = createRoute({
  method: "get",
  path: "/threads/{threadId}",
  tags,
  summary: "A thread: status, values, pending interrupts",
  description: anyRole,
  request: { params: threadPath },
  responses: { 200: jsonObject("The thread"), ...errors.byId },
});

const deleteThreadRoute = createRoute({
  method: "delete",
  path: "/threads/{threadId}",
  tags,
  summary: "Delete a thread that never went to review",
  description: "Roles: client (its own threads), admin.",
  middleware: [requireRole("client", "admin")] as const,
  request: { params: threadPath },
  responses: { 204: { description: "Deleted" }, 409: errors.conflict, ...errors.byId },
});

const stateRoute = createRoute({
  method: "get",
  path: "/threads/{threadId}/state",
  tags,
  summary: "The thread's last checkpoint",
  description: anyRole,
  request: { params: threadPath },
  responses: { 200: jsonObject("The state"), ...errors.byId },
});

const updateStateRoute = createRoute({
  method: "post",
  path: "/threads/{threadId}/state",
  tags,
  summary: 'Agent Inbox\'s "mark as resolved": the reviewer closes the item (rejected)',
  description: 'Roles: reviewer, admin. Only `{"values": null, "as_node": "__end__"}`.',
  middleware: [requireRole("reviewer", "admin")] as const,
  request: { params: threadPath, body: jsonRequestBody(stateUpdateBody) },
  responses: {
    200: jsonObject("The checkpoint after it"),
    409: errors.conflict,
    ...errors.body,
    404: errors.byId[404],
  },
});

const historyRoute = createRoute({
  method: "post",
  path: "/threads/{threadId}/history",
  tags,
  summary: "The thread's checkpoints, newest first",
  description: anyRole,
  request: { params: threadPath, body: jsonRequestBody(historyBody) },
  responses: { 200: jsonList("States"), ...errors.body, 404: errors.byId[404] },
});

export function protocolThreadRoutes() {
  return routeGroup()
    .openapi(createThreadRoute, async (c) =>
      c.json(
        await createThread(c.var.services.protocol, c.var.principal, c.req.valid("json")),
        200,
      ),
    )
    .openapi(searchRoute, async (c) => {
      const { threads, total } = await searchProtocolThreads(
        c.var.services.protocol,
        c.var.principal,
        c.req.valid("json"),
      );
      c.header("X-Pagination-Total", String(total));
      return c.json(threads, 200);
    })
    .openapi(countRoute, async (c) =>
      c.json(
        await countProtocolThreads(c.var.services.protocol, c.var.principal, c.req.valid("json")),
        200,
      ),
    )
    .openapi(getThreadRoute, async (c) =>
      c.json(
        await getProtocolThread(
          c.var.services.protocol,
          c.var.principal,
          c.req.valid("param").threadId,
        ),
        200,
      ),
    )
    .openapi(deleteThreadRoute, async (c) => {
      await deleteProtocolThread(
        c.var.services.protocol,
        c.var.principal,
        c.req.valid("param").threadId,
      );
      return c.body(null, 204);
    })
    .openapi(stateRoute, async (c) =>
      c.json(
        (await protocolThreadState(
          c.var.services.protocol,
          c.var.principal,
          c.req.valid("param").threadId,
        )) as Record<string, unknown>,
        200,
      ),
    )
    .openapi(updateStateRoute, async (c) =>
      c.json(
        (await updateProtocolThreadState(
          c.var.services.protocol,
          c.var.principal,
          c.req.valid("param").threadId,
          c.req.valid("json"),
        )) as Record<string, unknown>,
        200,
      ),
    )
    .openapi(historyRoute, async (c) =>
      c.json(
        (await protocolThreadHistory(
          c.var.services.protocol,
          c.var.principal,
          c.req.valid("param").threadId,
          c.req.valid("json"),
        )) as Record<string, unknown>[],
        200,
      ),
    );
}
