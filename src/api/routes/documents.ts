import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { z } from "zod";
import type { ApiEnv } from "../app.js";
import { requireRole } from "../auth.js";
import { ApiError } from "../errors.js";
import { errors, json, jsonRequestBody, routeGroup, uuidParam } from "../openapi.js";
import { createDocumentBody, documentResponse } from "../schemas.js";
import {
  approveDocumentBody,
  curationResponse,
  documentDecisionResponse,
  editDocumentBody,
  pendingDocumentsQuery,
  pendingDocumentsResponse,
  rejectDocumentBody,
} from "../document-schemas.js";
import { ingestDocument } from "../../knowledge/documents.js";
import {
  approveDocument,
  curationQueue,
  curationView,
  editDocument,
  isCuratedDomain,
  rejectDocument,
  curatorFor,
  type Curator,
} from "../../knowledge/curation.js";
import {
  decodeDocumentCursor,
  encodeDocumentCursor,
  versionView,
  viewOfCuration,
} from "../../knowledge/curation-views.js";

const addDocumentRoute = createRoute({
  method: "post",
  path: "/",
  tags: ["documents"],
  summary: "Add a document, or a new version of one, to the knowledge base",
  description:
    "Role: admin. The text is chunked at once. A document whose `source` (else `title`) is already there is a new version of it. In a curated domain (the policy's `curated` flag; by default the high-risk ones) the version is `pending` and is not retrieved until a reviewer of that domain approves it, while the version it replaces stays live; otherwise it is `live` at once. The same title and text again answers the first result.",
  middleware: [requireRole("admin")] as const,
  request: { body: jsonRequestBody(createDocumentBody) },
  responses: {
    201: { description: "Added", content: json(documentResponse) },
    200: { description: "The same document was already there", content: json(documentResponse) },
    ...errors.body,
  },
});

const curators = requireRole("reviewer", "admin");
const documentPath = z.object({ documentId: uuidParam });
const tags = ["documents"];
const description =
  "Roles: reviewer (documents in the key's domains), admin. A decision is taken once: a second, or one on a version that a newer one superseded, is a 409.";

const pendingRoute = createRoute({
  method: "get",
  path: "/pending",
  tags,
  summary: "The curation queue: pending document versions, oldest first",
  description: "Roles: reviewer (the key's domains only), admin.",
  middleware: [curators] as const,
  request: { query: pendingDocumentsQuery },
  responses: {
    200: { description: "A page of pending versions", content: json(pendingDocumentsResponse) },
    ...errors.query,
  },
});

const getRoute = createRoute({
  method: "get",
  path: "/{documentId}",
  tags,
  summary:
    "A document version: its text, the diff against the version it replaces, the answers it would affect",
  description: "Roles: reviewer, admin.",
  middleware: [curators] as const,
  request: { params: documentPath },
  responses: {
    200: { description: "The version", content: json(curationResponse) },
    ...errors.byId,
  },
});

const decisionRoute = <S extends z.ZodType>(path: string, summary: string, body: S) =>
  createRoute({
    method: "post",
    path,
    tags,
    summary,
    description,
    middleware: [curators] as const,
    request: { params: documentPath, body: jsonRequestBody(body) },
    responses: {
      200: { description: "Decided", content: json(documentDecisionResponse) },
      409: errors.conflict,
      ...errors.body,
      404: errors.byId[404],
    },
  });

const approveRoute = decisionRoute(
  "/{documentId}/approve",
  "Approve a pending version: it goes live and replaces the live one",
  approveDocumentBody,
);
const rejectRoute = decisionRoute(
  "/{documentId}/reject",
  "Reject a pending version with reasons: it is never retrieved",
  rejectDocumentBody,
);
const editRoute = decisionRoute(
  "/{documentId}/edit",
  "Approve with an edit: the edited text becomes a new live version",
  editDocumentBody,
);

const curatorOf = (c: Context<ApiEnv>): Curator => curatorFor(c.var.principal);

export function documentRoutes() {
  return routeGroup()
    .openapi(addDocumentRoute, async (c) => {
      const curation = c.var.services.curation;
      const result = await ingestDocument(c.var.db, c.req.valid("json"), {
        isCurated: isCuratedDomain(curation.settings),
        actor: c.var.actor,
        emit: curation.emit,
      });
      return result.created ? c.json(result, 201) : c.json(result, 200);
    })
    .openapi(pendingRoute, async (c) => {
      const q = c.req.valid("query");
      const after = q.cursor === undefined ? undefined : decodeDocumentCursor(q.cursor);
      if (q.cursor !== undefined && !after) {
        throw new ApiError(400, "invalid_cursor", "cursor is not one this API returned");
      }
      const page = await curationQueue(c.var.services.curation, curatorOf(c), {
        limit: q.limit,
        ...(after ? { after } : {}),
      });
      return c.json(
        {
          items: page.items.map(versionView),
          next_cursor: page.next ? encodeDocumentCursor(page.next) : null,
        },
        200,
      );
    })
    .openapi(getRoute, async (c) => {
      const view = await curationView(c.var.services.curation, c.req.valid("param").documentId);
      return c.json(viewOfCuration(view), 200);
    })
    .openapi(approveRoute, async (c) => {
      const id = c.req.valid("param").documentId;
      const body = c.req.valid("json");
      const done = await approveDocument(c.var.services.curation, id, curatorOf(c), body);
      return c.json({ document: versionView(done.document), superseded: done.superseded }, 200);
    })
    .openapi(rejectRoute, async (c) => {
      const id = c.req.valid("param").documentId;
      const body = c.req.valid("json");
      const done = await rejectDocument(c.var.services.curation, id, curatorOf(c), body);
      return c.json({ document: versionView(done.document), superseded: done.superseded }, 200);
    })
    .openapi(editRoute, async (c) => {
      const id = c.req.valid("param").documentId;
      const body = c.req.valid("json");
      const done = await editDocument(c.var.services.curation, id, curatorOf(c), body);
      return c.json({ document: versionView(done.document), superseded: done.superseded }, 200);
    });
}
