import { createRoute } from "@hono/zod-openapi";
import { requireRole } from "../auth.js";
import { errors, json, jsonRequestBody, routeGroup } from "../openapi.js";
import { createDocumentBody, documentResponse } from "../schemas.js";
import { ingestDocument } from "../../knowledge/documents.js";

const addDocumentRoute = createRoute({
  method: "post",
  path: "/",
  tags: ["documents"],
  summary: "Add a document to the knowledge base",
  description: "Role: admin. The text is chunked and indexed at once.",
  middleware: [requireRole("admin")] as const,
  request: { body: jsonRequestBody(createDocumentBody) },
  responses: {
    201: { description: "Added", content: json(documentResponse) },
    200: { description: "The same document was already there", content: json(documentResponse) },
    ...errors.body,
  },
});

export function documentRoutes() {
  return routeGroup().openapi(addDocumentRoute, async (c) => {
    const result = await ingestDocument(c.var.db, c.req.valid("json"));
    return result.created ? c.json(result, 201) : c.json(result, 200);
  });
}
