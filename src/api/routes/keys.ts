import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import type { OpenModeGate } from "../../auth/open-mode.js";
import { createKey, KeyNameTakenError, listKeys, revokeKey } from "../../auth/keys.js";
import { ConflictError, notFound } from "../../services/errors.js";
import { requireRole } from "../auth.js";
import { errors, json, jsonRequestBody, routeGroup, uuidParam } from "../openapi.js";
import { createdKeyResponse, createKeyBody, keyListResponse, keyResponse } from "../schemas.js";

const view = (row: Awaited<ReturnType<typeof listKeys>>[number]) => ({
  key_id: row.key_id,
  name: row.name,
  role: row.role,
  prefix: row.prefix,
  domains: row.domains,
  created_at: row.created_at.toISOString(),
  revoked_at: row.revoked_at?.toISOString() ?? null,
});

const adminOnly = requireRole("admin");

const listKeysRoute = createRoute({
  method: "get",
  path: "/",
  tags: ["keys"],
  summary: "API keys: names, roles, prefixes; never the keys",
  description: "Role: admin.",
  middleware: [adminOnly] as const,
  responses: { 200: { description: "Keys", content: json(keyListResponse) }, ...errors.common },
});

const createKeyRoute = createRoute({
  method: "post",
  path: "/",
  tags: ["keys"],
  summary: "Create an API key; the key is in this response only",
  description: "Role: admin. The first key ends open mode.",
  middleware: [adminOnly] as const,
  request: { body: jsonRequestBody(createKeyBody) },
  responses: {
    201: { description: "Created", content: json(createdKeyResponse) },
    409: errors.conflict,
    ...errors.body,
  },
});

const revokeKeyRoute = createRoute({
  method: "delete",
  path: "/{keyId}",
  tags: ["keys"],
  summary: "Revoke an API key",
  description: "Role: admin.",
  middleware: [adminOnly] as const,
  request: { params: z.object({ keyId: uuidParam }) },
  responses: { 200: { description: "Revoked", content: json(keyResponse) }, ...errors.byId },
});

/**
 * API keys, admin only. The key itself is in the creation response and nowhere else. The first
 * key ends open mode in this process at once (other processes notice on their next request).
 */
export function keyRoutes(openMode: OpenModeGate) {
  return routeGroup()
    .openapi(listKeysRoute, async (c) =>
      c.json({ items: (await listKeys(c.var.db)).map(view) }, 200),
    )
    .openapi(createKeyRoute, async (c) => {
      const body = c.req.valid("json");
      try {
        const { key, row } = await createKey(c.var.db, body.name, body.role, body.domains ?? null);
        openMode.close();
        // Other gates of this process (another app on the same runtime) close too.
        c.var.services.threads.signals.keyCreated();
        return c.json({ ...view(row), key }, 201);
      } catch (error) {
        if (error instanceof KeyNameTakenError)
          throw new ConflictError("name_taken", error.message);
        throw error;
      }
    })
    .openapi(revokeKeyRoute, async (c) => {
      const { keyId } = c.req.valid("param");
      const row = await revokeKey(c.var.db, { key_id: keyId });
      if (!row) throw notFound("active key", keyId);
      return c.json(view(row), 200);
    });
}
