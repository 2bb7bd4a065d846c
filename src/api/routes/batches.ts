import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { stream } from "hono/streaming";
import { z } from "zod";
import type { ApiEnv } from "../app.js";
import { requireRole } from "../auth.js";
import { ApiError } from "../errors.js";
import { errors, idempotencyHeaders, json, routeGroup, uuidParam } from "../openapi.js";
import {
  appendBatchItemsBody,
  batchItemLine,
  batchResponse,
  batchResultLine,
  batchResultsQuery,
  batchSubmitResponse,
  createBatchBody,
  createBatchQuery,
} from "../schemas.js";
import { itemsOfList, itemsOfNdjson } from "../../services/batch-items.js";
import {
  addBatchItems,
  batchOwner,
  batchResults,
  createBatch,
  getBatch,
} from "../../services/batches.js";
import { notFound } from "../../services/errors.js";

const NDJSON_TYPE = /^application\/(?:x-)?ndjson\s*(?:;|$)/i;
const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;
const DEFAULT_PRIORITY = 50;

/** A client key sees only the batches it created (others look like they do not exist). */
async function assertCanRead(c: Context<ApiEnv>, batchId: string): Promise<void> {
  const principal = c.var.principal;
  if (principal.open || principal.role !== "client") return;
  const owner = await batchOwner(c.var.db, batchId);
  if (owner !== undefined && owner !== principal.id) throw notFound("batch", batchId);
}

/** JSON (validated by the route) or NDJSON (read here): anything else is a 415. */
function bodyKind(c: Context<ApiEnv>): "json" | "ndjson" {
  const type = c.req.header("content-type") ?? "";
  if (NDJSON_TYPE.test(type)) return "ndjson";
  if (JSON_TYPE.test(type)) return "json";
  throw new ApiError(
    415,
    "unsupported_media_type",
    "send the questions as application/json or application/x-ndjson",
  );
}

const batchPath = z.object({ batchId: uuidParam });

/** Both bodies a submission takes: a JSON envelope, or one question per NDJSON line. */
const submissionBody = <S extends z.ZodType>(envelope: S) => ({
  required: false,
  content: {
    ...json(envelope),
    "application/x-ndjson": { schema: batchItemLine },
  },
});

const createBatchRoute = createRoute({
  method: "post",
  path: "/",
  tags: ["batches"],
  summary: "Start a thread per question, at batch priority",
  description:
    "Roles: client, admin. A JSON `{questions, priority?, metadata?}` body, or NDJSON with one `{question, id?, metadata?}` per line (then `priority` and `metadata` come from the query). Each item's key is its `id`, or its line number; a repeated Idempotency-Key adds only the items the batch lacks. Errors name the line.",
  middleware: [requireRole("client", "admin")] as const,
  request: {
    query: createBatchQuery,
    headers: idempotencyHeaders,
    body: submissionBody(createBatchBody),
  },
  responses: {
    202: {
      description: "Accepted: the questions run in the background",
      content: json(batchSubmitResponse),
    },
    200: {
      description: "Same Idempotency-Key as an earlier batch: the items it lacked were added",
      content: json(batchSubmitResponse),
    },
    ...errors.body,
  },
});

const appendItemsRoute = createRoute({
  method: "post",
  path: "/{batchId}/items",
  tags: ["batches"],
  summary: "Add questions to a batch (a batch sent in parts)",
  description:
    "Roles: client, admin (a client only to its own batches). JSON `{questions}` or NDJSON; every item needs an `id`, and items whose id the batch has are left alone.",
  middleware: [requireRole("client", "admin")] as const,
  request: { params: batchPath, body: submissionBody(appendBatchItemsBody) },
  responses: {
    200: { description: "Added (or already there)", content: json(batchSubmitResponse) },
    ...errors.body,
    404: errors.byId[404],
  },
});

const getBatchRoute = createRoute({
  method: "get",
  path: "/{batchId}",
  tags: ["batches"],
  summary: "A batch's progress: its questions by state",
  description: "Any role; a client key sees only the batches it created.",
  request: { params: batchPath },
  responses: {
    200: { description: "The batch", content: json(batchResponse) },
    ...errors.byId,
  },
});

const resultsRoute = createRoute({
  method: "get",
  path: "/{batchId}/results",
  tags: ["batches"],
  summary: "The batch's answers as NDJSON, in item order",
  description:
    "Any role; a client key only for its own batches. One line per question: its id, thread, status, answer with provenance, and citations.",
  request: { params: batchPath, query: batchResultsQuery },
  responses: {
    200: {
      description: "One result per line",
      content: { "application/x-ndjson": { schema: batchResultLine } },
    },
    ...errors.byId,
  },
});

export function batchRoutes() {
  return routeGroup()
    .openapi(createBatchRoute, async (c) => {
      const kind = bodyKind(c);
      const query = c.req.valid("query");
      const maxItems = c.var.services.batchMaxItems;
      let envelope: { priority?: number; metadata?: Record<string, unknown> } = query;
      let items;
      if (kind === "json") {
        // Validated against the JSON envelope (the NDJSON line schema is only documentation).
        const body = c.req.valid("json") as z.infer<typeof createBatchBody>;
        envelope = {
          priority: body.priority ?? query.priority,
          metadata: body.metadata ?? query.metadata,
        };
        items = itemsOfList(body.questions, { maxItems });
      } else {
        items = itemsOfNdjson(await c.req.text(), { maxItems });
      }
      const result = await createBatch(c.var.services.threads, {
        items,
        priority: envelope.priority ?? DEFAULT_PRIORITY,
        metadata: envelope.metadata ?? {},
        idempotencyKey: c.req.valid("header")["idempotency-key"],
        caller: { id: c.var.principal.id, name: c.var.principal.name },
      });
      const view = { ...result.batch, submitted: result.submitted, started: result.started };
      return result.created ? c.json(view, 202) : c.json(view, 200);
    })
    .openapi(appendItemsRoute, async (c) => {
      const { batchId } = c.req.valid("param");
      await assertCanRead(c, batchId);
      const kind = bodyKind(c);
      const options = { maxItems: c.var.services.batchMaxItems, requireIds: true };
      const items =
        kind === "json"
          ? itemsOfList(
              (c.req.valid("json") as z.infer<typeof appendBatchItemsBody>).questions,
              options,
            )
          : itemsOfNdjson(await c.req.text(), options);
      const result = await addBatchItems(c.var.services.threads, batchId, items);
      return c.json({ ...result.batch, submitted: result.submitted, started: result.started }, 200);
    })
    .openapi(getBatchRoute, async (c) => {
      const { batchId } = c.req.valid("param");
      await assertCanRead(c, batchId);
      return c.json(await getBatch(c.var.db, batchId), 200);
    })
    .openapi(resultsRoute, async (c) => {
      const { batchId } = c.req.valid("param");
      const { status } = c.req.valid("query");
      await assertCanRead(c, batchId);
      // Before the first byte, so an unknown batch is still a JSON 404.
      await getBatch(c.var.db, batchId);
      c.header("content-type", "application/x-ndjson; charset=utf-8");
      c.header("cache-control", "no-store");
      // A streamed body has no typed JSON response to check against the declaration.
      return stream(
        c,
        async (out) => {
          let gone = false;
          out.onAbort(() => {
            gone = true;
          });
          for await (const line of batchResults(c.var.db, batchId, { statuses: status })) {
            if (gone) break;
            await out.write(`${JSON.stringify(line)}\n`);
          }
        },
        // A write fails only when the client went away; a database error mid-stream ends the
        // stream early (the client sees fewer lines than `total` and can ask again).
        (error) => {
          c.var.services.logger.warn(
            { err: error, batch_id: batchId },
            "results stream ended early",
          );
          return Promise.resolve();
        },
      ) as never;
    });
}
