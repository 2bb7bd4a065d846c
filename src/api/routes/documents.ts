import { Hono } from "hono";
import type { ApiEnv } from "../app.js";
import { requireRole } from "../auth.js";
import { createDocumentBody } from "../schemas.js";
import { jsonBody } from "../validate.js";
import { ingestDocument } from "../../knowledge/documents.js";

export function documentRoutes(): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.post("/", requireRole("admin"), async (c) => {
    const body = await jsonBody(c, createDocumentBody);
    const result = await ingestDocument(c.var.db, body);
    return c.json(result, result.created ? 201 : 200);
  });
  return app;
}
