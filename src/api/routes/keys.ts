import { Hono } from "hono";
import type { OpenModeGate } from "../../auth/open-mode.js";
import { createKey, KeyNameTakenError, listKeys, revokeKey } from "../../auth/keys.js";
import { notFound, ServiceError } from "../../services/errors.js";
import type { ApiEnv } from "../app.js";
import { requireRole } from "../auth.js";
import { createKeyBody } from "../schemas.js";
import { idParam, jsonBody } from "../validate.js";

const view = (row: Awaited<ReturnType<typeof listKeys>>[number]) => ({
  key_id: row.key_id,
  name: row.name,
  role: row.role,
  prefix: row.prefix,
  created_at: row.created_at.toISOString(),
  revoked_at: row.revoked_at?.toISOString() ?? null,
});

/**
 * API keys, admin only. The key itself is in the creation response and nowhere else. The first
 * key ends open mode in this process at once (other processes notice on their next request).
 */
export function keyRoutes(openMode: OpenModeGate): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.use(requireRole("admin"));
  app.get("/", async (c) =>
    c.json({ items: (await listKeys(c.var.db)).map(view) }),
  );
  app.post("/", async (c) => {
    const body = await jsonBody(c, createKeyBody);
    try {
      const { key, row } = await createKey(c.var.db, body.name, body.role);
      openMode.close();
      return c.json({ ...view(row), key }, 201);
    } catch (error) {
      if (error instanceof KeyNameTakenError)
        throw new ServiceError(409, "name_taken", error.message);
      throw error;
    }
  });
  app.delete("/:keyId", async (c) => {
    const keyId = idParam(c, "keyId");
    const row = await revokeKey(c.var.db, { key_id: keyId });
    if (!row) throw notFound("active key", keyId);
    return c.json(view(row));
  });
  return app;
}
